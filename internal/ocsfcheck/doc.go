// Package ocsfcheck checks OCSF events against the OCSF schema definitions, for tests of
// credreview's OCSF writer. It compiles the definitions the way the OCSF server does
// (classes and objects flattened through "extends", profiles brought in by "$include",
// attributes merged over dictionary.json) and validates a decoded event against the class
// its class_uid names, reporting each problem with the attribute path it concerns.
//
// It reads the ocsf-schema repository's layout (dictionary.json, categories.json,
// version.json, events/, objects/, profiles/), not a JSON Schema; extensions are not
// supported.
package ocsfcheck
