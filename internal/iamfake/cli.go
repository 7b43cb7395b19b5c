package iamfake

import (
	"os"
	"path/filepath"
	"testing"
)

// AWSCLI is where Debian's awscli package installs AWS CLI v2. Tests call
// it by path: an older v1 aws may come first on PATH.
const AWSCLI = "/usr/bin/aws"

// RequireTool skips the test when an external program is missing, or fails
// it when CREDREVIEW_REQUIRE_TOOLS is set, as CI sets it: there a missing
// tool is a broken setup, not a reason to pass.
func RequireTool(t testing.TB, path string) {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		return
	}
	if os.Getenv("CREDREVIEW_REQUIRE_TOOLS") != "" {
		t.Fatalf("%s is missing, and CREDREVIEW_REQUIRE_TOOLS is set", path)
	}
	t.Skipf("%s is missing; install it to run this test", path)
}

// CLIEnv returns an environment in which the command "aws" is the real AWS
// CLI talking to this endpoint, with fake credentials and no configuration
// from the machine. The CLI v2 of Debian 12 ignores AWS_ENDPOINT_URL, so a
// wrapper named aws, first on PATH, adds --endpoint-url.
func (s *Server) CLIEnv(t testing.TB) []string {
	t.Helper()
	RequireTool(t, AWSCLI)
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	wrapper := "#!/bin/sh\nexec " + AWSCLI + " --endpoint-url " + s.URL + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "aws"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{
		"PATH=" + bin + ":/usr/bin:/bin",
		"HOME=" + dir,
		"AWS_ACCESS_KEY_ID=AKIDFAKEFAKEFAKE",
		"AWS_SECRET_ACCESS_KEY=fake",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true",
	}
}
