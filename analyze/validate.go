package analyze

// The checks of values that other packages rebuild from what credreview
// wrote (a workbook's stamp, a review's JSON): a value that is not one
// credreview could have written is refused there, never used in a command.

// ValidKeyID reports whether id has the form of an access key id.
func ValidKeyID(id string) bool { return validKeyID(id) }

// ValidAccountID reports whether s is an account id as reports carry them:
// digits, twelve in AWS, fewer in test fixtures.
func ValidAccountID(s string) bool {
	if s == "" || len(s) > 12 {
		return false
	}
	_, ok := digits(s)
	return ok
}

// ValidPartition reports whether p is an AWS partition name.
func ValidPartition(p string) bool { return validPartition(p) }

// ValidFindingID reports whether id has the form of a finding's id: two
// capital letters, a dash and ten hexadecimal digits.
func ValidFindingID(id string) bool {
	if len(id) != 13 || id[2] != '-' || id[0] < 'A' || id[0] > 'Z' || id[1] < 'A' || id[1] > 'Z' {
		return false
	}
	for i := 3; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// ValidFinding reports, for a finding rebuilt from what credreview wrote,
// the first of its values that credreview could not have written; "" when
// there is none.
func ValidFinding(f *Finding) string {
	switch {
	case !ValidFindingID(f.ID):
		return "id"
	case !KnownCheck(f.Check):
		return "check"
	case !ValidAccountID(f.AccountID):
		return "account"
	case !ValidPartition(f.Partition):
		return "partition"
	case !ValidUserName(f.User) && !(f.User == rootUser && rootCheck(f.Check)):
		return "user"
	case f.KeyID != "" && !validKeyID(f.KeyID):
		return "key id"
	case f.KeySlot < 0 || f.KeySlot > 2:
		return "key slot"
	case f.Severity < SeverityLow || f.Severity > SeverityHigh:
		return "severity"
	case f.InventoryStatus != "" && f.InventoryStatus != "Active" && f.InventoryStatus != "Inactive" && f.InventoryStatus != "Expired":
		return "inventory status"
	}
	return ""
}

// rootCheck reports whether a check is about the root user's row.
func rootCheck(id string) bool {
	c := CheckByID(id)
	return c != nil && c.Root
}
