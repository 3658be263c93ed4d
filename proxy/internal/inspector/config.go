package inspector

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/protect-lambda/protect-lambda/proxy/internal/contract"
	"github.com/protect-lambda/protect-lambda/proxy/internal/engine"
	"github.com/protect-lambda/protect-lambda/proxy/internal/guard"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyjson"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyre"
)

// Python: config.GuardConfig
//
// Config is the guard configuration of one function, as the proxy uses it.
type Config struct {
	Mode, FailPolicy, CustomResources, AuthorizerResponse string
	Sensitivity                                           int
	RuleOverrides, CategoryOverrides                      map[string]string
	CustomRules                                           []*engine.Rule
	Exclusions                                            []guard.Exclusion
	Seal                                                  string
}

// DefaultConfig is GuardConfig(): block, fail open, sensitivity 1.
func DefaultConfig() Config {
	return Config{Mode: contract.PyMODE_BLOCK, FailPolicy: contract.PyFAIL_OPEN,
		CustomResources: contract.PyCUSTOM_RESOURCES_SKIP, AuthorizerResponse: contract.PyAUTHORIZER_AUTO,
		Sensitivity: contract.PyDEFAULT_SENSITIVITY}
}

// ConfigError is a configuration the guard cannot run with (GuardConfigError in Python). Its
// message names the variable or field, and goes into the GuardError record.
type ConfigError struct{ Msg string }

func (e *ConfigError) Error() string { return e.Msg }

func configErr(format string, args ...any) error {
	return &ConfigError{Msg: fmt.Sprintf(format, args...)}
}

// maxConfigFileBytes is config.MAX_CONFIG_FILE_BYTES.
const maxConfigFileBytes = 1 << 20

// ProxyPatternsKey is the document key the constructs add for proxy functions: each custom
// rule's pattern translated for the proxy's engine (rule id -> regexp2 pattern), written at
// synth by protect_lambda_construct.regex_translation with Python's own parser.
const ProxyPatternsKey = "proxy_patterns"

// Python: config.read_fail_policy
//
// ReadFailPolicy is the fail policy of the environment (open when unset or invalid): what to do
// when the configuration itself cannot be loaded.
func ReadFailPolicy(getenv func(string) string) string {
	value := strings.ToLower(strings.TrimSpace(getenv(contract.PyFAIL_POLICY_ENV)))
	for _, p := range contract.PyFAIL_POLICIES {
		if value == p {
			return p
		}
	}
	return contract.PyFAIL_OPEN
}

func env(getenv func(string) string, name string) (string, bool) {
	value := getenv(name)
	if strings.TrimSpace(value) == "" {
		return "", false
	}
	return value, true
}

// variableKeys are the document keys a variable of their own overrides (config._VARIABLE_KEYS).
var variableKeys = [][2]string{
	{"mode", contract.PyMODE_ENV},
	{"fail_policy", contract.PyFAIL_POLICY_ENV},
	{"authorizer_response", contract.PyAUTHORIZER_RESPONSE_ENV},
}

// Python: config.load_config
//
// LoadConfig reads the guard configuration from the environment (and the file it names), as
// the Python wrapper does: PROTECT_LAMBDA_CONFIG inline or PROTECT_LAMBDA_CONFIG_FILE (not
// both), PROTECT_LAMBDA_MODE / _FAIL_POLICY / _AUTHORIZER_RESPONSE over the document's keys,
// PROTECT_LAMBDA_SEAL. The constructs validated the document at synth with the Python guard;
// what is checked here is what the proxy needs to run it safely.
func LoadConfig(getenv func(string) string) (Config, error) {
	inline, haveInline := env(getenv, contract.PyCONFIG_ENV)
	path, havePath := env(getenv, contract.PyCONFIG_FILE_ENV)
	var raw []byte
	origin := "config"
	switch {
	case haveInline && havePath:
		return Config{}, configErr("%s and %s are both set; set only one", contract.PyCONFIG_ENV, contract.PyCONFIG_FILE_ENV)
	case haveInline:
		raw, origin = []byte(inline), contract.PyCONFIG_ENV
	case havePath:
		path = strings.TrimSpace(path)
		origin = contract.PyCONFIG_FILE_ENV + " (" + path + ")"
		full := path
		if !filepath.IsAbs(full) {
			root := getenv("LAMBDA_TASK_ROOT")
			if root == "" {
				root, _ = os.Getwd()
			}
			full = filepath.Join(root, full)
		}
		data, err := readLimited(full)
		if err != nil {
			return Config{}, configErr("%s: cannot read %q (%v)", contract.PyCONFIG_FILE_ENV, full, err)
		}
		if len(data) > maxConfigFileBytes {
			return Config{}, configErr("%s: %q is larger than %d bytes", contract.PyCONFIG_FILE_ENV, full, maxConfigFileBytes)
		}
		raw = data
	default:
		raw = []byte("{}")
	}
	var document map[string]json.RawMessage
	decoder := json.NewDecoder(bytes.NewReader(raw))
	decoder.UseNumber()
	if err := decoder.Decode(&document); err != nil || document == nil {
		return Config{}, configErr("%s: not a valid JSON object (%v)", origin, err)
	}
	overridden := map[string]string{}
	for _, kv := range variableKeys {
		if value, ok := env(getenv, kv[1]); ok {
			quoted, _ := json.Marshal(value)
			document[kv[0]] = quoted
			overridden[kv[0]] = kv[1]
		}
	}
	config, err := validate(document)
	if err != nil {
		message := err.Error()
		for key, name := range overridden {
			if strings.HasPrefix(message, key+":") {
				return Config{}, configErr("%s:%s", name, message[len(key)+1:])
			}
		}
		return Config{}, configErr("%s: %s", origin, message)
	}
	config.Seal = strings.TrimSpace(getenv(contract.PySEAL_ENV))
	return config, nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxConfigFileBytes+1))
}

// documentKeys are config.DOCUMENT_KEYS.
var documentKeys = []string{"mode", "fail_policy", "rule_overrides", "category_overrides", "custom_rules",
	"custom_resources", "authorizer_response", "sensitivity", "exclusions", ProxyPatternsKey}

func choice(name string, raw json.RawMessage, fallback string, choices []string) (string, error) {
	if raw == nil {
		return fallback, nil
	}
	var value string
	if err := json.Unmarshal(raw, &value); err == nil {
		value = strings.ToLower(strings.TrimSpace(value))
		for _, c := range choices {
			if value == c {
				return c, nil
			}
		}
	}
	return "", fmt.Errorf("%s: must be one of %s (got %s)", name, strings.Join(choices, ", "), repr(raw))
}

// repr is Python's repr() of a JSON value, as the Python guard's messages quote it.
func repr(raw json.RawMessage) string {
	if value, err := pyjson.Parse(raw); err == nil {
		return pyjson.Repr(value)
	}
	return string(raw)
}

func overrides(name string, raw json.RawMessage) (map[string]string, error) {
	out := map[string]string{}
	if raw == nil || string(raw) == "null" {
		return out, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: must be an object mapping names to actions", name)
	}
	for key, action := range m {
		if strings.TrimSpace(key) == "" || len([]rune(key)) > 128 {
			return nil, fmt.Errorf("%s: keys must be non-empty strings of at most 128 characters (got %q)", name, key)
		}
		value, err := choice(fmt.Sprintf("%s[%q]", name, key), action, "", contract.PyOVERRIDE_ACTIONS)
		if err != nil {
			return nil, err
		}
		out[key] = value
	}
	return out, nil
}

func validate(document map[string]json.RawMessage) (Config, error) {
	var unknown []string
	for key := range document {
		known := false
		for _, k := range documentKeys {
			known = known || k == key
		}
		if !known {
			unknown = append(unknown, key)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return Config{}, fmt.Errorf("unknown key %q; allowed: %s", unknown[0], strings.Join(documentKeys, ", "))
	}
	c := DefaultConfig()
	var err error
	if c.Mode, err = choice("mode", document["mode"], c.Mode, contract.PyMODES); err != nil {
		return c, err
	}
	if c.FailPolicy, err = choice("fail_policy", document["fail_policy"], c.FailPolicy, contract.PyFAIL_POLICIES); err != nil {
		return c, err
	}
	if c.CustomResources, err = choice("custom_resources", document["custom_resources"], c.CustomResources,
		contract.PyCUSTOM_RESOURCE_POLICIES); err != nil {
		return c, err
	}
	if c.CustomResources != contract.PyCUSTOM_RESOURCES_SKIP {
		// answering CloudFormation at a request's ResponseURL is the Python wrapper's alone
		return c, fmt.Errorf("custom_resources: %q is not supported by the proxy (non-Python runtimes); use %q",
			c.CustomResources, contract.PyCUSTOM_RESOURCES_SKIP)
	}
	if c.AuthorizerResponse, err = choice("authorizer_response", document["authorizer_response"], c.AuthorizerResponse,
		contract.PyAUTHORIZER_RESPONSES); err != nil {
		return c, err
	}
	if c.RuleOverrides, err = overrides("rule_overrides", document["rule_overrides"]); err != nil {
		return c, err
	}
	if c.CategoryOverrides, err = overrides("category_overrides", document["category_overrides"]); err != nil {
		return c, err
	}
	if raw := document["sensitivity"]; raw != nil {
		var level int
		if json.Unmarshal(raw, &level) != nil || level < 1 || level > len(contract.PySENSITIVITY_LEVELS) {
			return c, fmt.Errorf("sensitivity: must be one of 1, 2, 3, 4 (1 blocks the least benign traffic), got %s", repr(raw))
		}
		c.Sensitivity = level
	}
	if c.CustomRules, err = customRules(document["custom_rules"], document[ProxyPatternsKey]); err != nil {
		return c, err
	}
	if raw := document["exclusions"]; raw != nil && string(raw) != "null" {
		var items []map[string]string
		if err := json.Unmarshal(raw, &items); err != nil {
			return c, fmt.Errorf("exclusions: must be a list of exclusion objects of strings")
		}
		for i, item := range items {
			e := guard.Exclusion{Rule: item["rule"], Category: item["category"], Location: item["location"], Action: item["action"]}
			if (e.Rule == "") == (e.Category == "") {
				return c, fmt.Errorf("exclusions[%d]: give either 'rule' (a rule id) or 'category', not both", i)
			}
			if e.Action == "" {
				e.Action = "off"
			}
			if e.Action != "off" && e.Action != "monitor" {
				return c, fmt.Errorf("exclusions[%d]: 'action' must be one of off, monitor, got %q", i, e.Action)
			}
			if err := e.Compile(); err != nil {
				return c, fmt.Errorf("exclusions[%d]: %v", i, err)
			}
			c.Exclusions = append(c.Exclusions, e)
		}
	}
	return c, nil
}

// customRules are the document's custom rules with Rule.from_dict's defaults, each pattern
// registered with the translation the constructs wrote under proxy_patterns.
func customRules(raw, patterns json.RawMessage) ([]*engine.Rule, error) {
	if raw == nil || string(raw) == "null" {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("custom_rules: must be a list of rule objects")
	}
	translated := map[string]string{}
	if patterns != nil && string(patterns) != "null" {
		if err := json.Unmarshal(patterns, &translated); err != nil {
			return nil, fmt.Errorf("%s: must be an object mapping rule ids to patterns", ProxyPatternsKey)
		}
	}
	var rules []*engine.Rule
	for i, item := range items {
		var present map[string]json.RawMessage
		r := &engine.Rule{Score: contract.PyBLOCK_SCORE, Level: 1}
		if json.Unmarshal(item, &present) != nil || json.Unmarshal(item, r) != nil {
			return nil, fmt.Errorf("custom_rules[%d]: not a rule object", i)
		}
		if r.ID == "" || r.Category == "" || r.Direction == "" || r.Severity == "" {
			return nil, fmt.Errorf("custom_rules[%d]: id, category, direction and severity are required", i)
		}
		if len(r.Scores) > 0 {
			r.Level, r.Score = len(r.Scores), 0
			for n := len(r.Scores) - 1; n >= 0; n-- {
				if r.Scores[n] > 0 {
					r.Level = n + 1
				}
				if r.Scores[n] > r.Score {
					r.Score = r.Scores[n]
				}
			}
		}
		if r.Pattern != "" {
			pattern, ok := translated[r.ID]
			if !ok {
				return nil, fmt.Errorf("custom_rules[%d]: rule %q has no translation for the proxy under %q "+
					"(synthesize with the protect-lambda constructs, which write it)", i, r.ID, ProxyPatternsKey)
			}
			if err := pyre.Register(r.Pattern, engine.RuleFlags(r), pattern); err != nil {
				return nil, fmt.Errorf("custom_rules[%d]: rule %q: %v", i, r.ID, err)
			}
		}
		rules = append(rules, r)
	}
	return rules, nil
}
