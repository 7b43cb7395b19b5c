package formats

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/credreview/credreview/analyze"
)

// TestSchemaMatchesTypes holds the JSON Schemas in doc/ to the Go types
// that are the JSON's shape: every object of the schema has exactly the
// properties of its type's fields, requires exactly those that are always
// written (not omitempty), and lets no other in; the check enum is the
// table of checks.
func TestSchemaMatchesTypes(t *testing.T) {
	load := func(name string) map[string]any {
		b, err := os.ReadFile(filepath.Join(repoRoot, "doc", name))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	review := load("credential-review.schema.json")
	verification := load("credential-verification.schema.json")
	roots := map[string]map[string]any{"credential-review.schema.json": review, "credential-verification.schema.json": verification}
	// resolve follows $ref, into either schema.
	var resolve func(root map[string]any, n map[string]any) (map[string]any, map[string]any)
	resolve = func(root, n map[string]any) (map[string]any, map[string]any) {
		ref, ok := n["$ref"].(string)
		if !ok {
			return root, n
		}
		file, ptr, _ := strings.Cut(ref, "#")
		if file != "" {
			root = roots[file]
		}
		cur := any(root)
		for _, part := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
			cur = cur.(map[string]any)[part]
		}
		return resolve(root, cur.(map[string]any))
	}
	var walk func(path string, typ reflect.Type, root, n map[string]any)
	walk = func(path string, typ reflect.Type, root, n map[string]any) {
		root, n = resolve(root, n)
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		// A value or null: the variant that is not null.
		for _, k := range []string{"anyOf", "oneOf"} {
			if vs, ok := n[k].([]any); ok {
				for _, v := range vs {
					r2, v2 := resolve(root, v.(map[string]any))
					if v2["type"] != "null" {
						root, n = r2, v2
					}
				}
			}
		}
		switch typ.Kind() {
		case reflect.Slice:
			items, ok := n["items"].(map[string]any)
			if !ok {
				t.Errorf("%s: a list in Go, no items in the schema", path)
				return
			}
			walk(path+"[]", typ.Elem(), root, items)
		case reflect.Struct:
			props, _ := n["properties"].(map[string]any)
			if n["additionalProperties"] != false {
				t.Errorf("%s: the schema lets other properties in", path)
			}
			var fields, always []string
			for i := range typ.NumField() {
				tag := typ.Field(i).Tag.Get("json")
				name, opts, _ := strings.Cut(tag, ",")
				fields = append(fields, name)
				if opts != "omitempty" {
					always = append(always, name)
				}
				if p, ok := props[name].(map[string]any); ok {
					walk(path+"."+name, typ.Field(i).Type, root, p)
				}
			}
			var inSchema []string
			for k := range props {
				inSchema = append(inSchema, k)
			}
			var required []string
			rs, _ := n["required"].([]any)
			for _, r := range rs {
				required = append(required, r.(string))
			}
			for _, l := range [][]string{fields, always, inSchema, required} {
				sort.Strings(l)
			}
			if !slices.Equal(fields, inSchema) {
				t.Errorf("%s: Go fields %v, schema properties %v", path, fields, inSchema)
			}
			if !slices.Equal(always, required) {
				t.Errorf("%s: always written %v, schema requires %v", path, always, required)
			}
		}
	}
	walk("review", reflect.TypeFor[ReviewJSON](), review, review)
	walk("verification", reflect.TypeFor[VerificationJSON](), verification, verification)

	var enum []string
	for _, v := range review["$defs"].(map[string]any)["check"].(map[string]any)["enum"].([]any) {
		enum = append(enum, v.(string))
	}
	if !slices.Equal(enum, analyze.CheckIDs()) {
		t.Errorf("the schema's checks %v, the table's %v", enum, analyze.CheckIDs())
	}
}
