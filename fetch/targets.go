package fetch

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Sources say where the accounts to export come from, as credreview
// fetch's flags name them.
type Sources struct {
	// Profiles are shared-config profiles, one account each; with Roles, at
	// most one, the base credentials. Empty means the default credentials.
	Profiles []string
	// Roles are role ARNs to assume from the base credentials, one account
	// each.
	Roles []string
	// Region for the SDK and STS; empty means the configuration's, else
	// us-east-1.
	Region string
}

// Targets turns sources into the accounts to export: one per role, assumed
// from the base credentials, or else one per profile, or else the default
// credentials. A profile that cannot be loaded is a failed account.
func Targets(ctx context.Context, src Sources) (targets []Target, failed []Saved) {
	load := func(profile string) (aws.Config, error) {
		var lo []func(*config.LoadOptions) error
		if profile != "" {
			lo = append(lo, config.WithSharedConfigProfile(profile))
		}
		if src.Region != "" {
			lo = append(lo, config.WithRegion(src.Region))
		}
		cfg, err := config.LoadDefaultConfig(ctx, lo...)
		if err == nil && cfg.Region == "" {
			cfg.Region = "us-east-1" // IAM is global; the SDK still wants a region
		}
		return cfg, err
	}
	name := func(profile string) string {
		if profile == "" {
			return "default credentials"
		}
		return "profile " + profile
	}
	if len(src.Roles) > 0 {
		base := ""
		if len(src.Profiles) == 1 {
			base = src.Profiles[0]
		}
		cfg, err := load(base)
		if err != nil {
			return nil, []Saved{{Target: name(base), Err: err}}
		}
		client := sts.NewFromConfig(cfg)
		for _, arn := range src.Roles {
			c := cfg.Copy()
			c.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(client, arn, func(o *stscreds.AssumeRoleOptions) {
				o.RoleSessionName = "credreview-fetch"
			}))
			targets = append(targets, Target{Name: "role " + arn, Config: c})
		}
		return targets, nil
	}
	profiles := src.Profiles
	if len(profiles) == 0 {
		profiles = []string{""}
	}
	for _, p := range profiles {
		cfg, err := load(p)
		if err != nil {
			failed = append(failed, Saved{Target: name(p), Err: err})
			continue
		}
		targets = append(targets, Target{Name: name(p), Config: cfg})
	}
	return targets, failed
}
