package root

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// configInputError is a broken config file: bad user data, exit 65.
type configInputError struct{ err error }

func (e configInputError) Error() string      { return e.err.Error() }
func (e configInputError) Unwrap() error      { return e.err }
func (e configInputError) InvalidInput() bool { return true }

// configFile is $MESHCTL_CONFIG, else $XDG_CONFIG_HOME/meshctl/config.yaml, else ~/.config/meshctl/config.yaml.
func configFile(getenv func(string) string) string {
	if p := getenv("MESHCTL_CONFIG"); p != "" {
		return p
	}
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home := getenv("HOME")
		if home == "" {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "meshctl", "config.yaml")
}

// applyConfigDefaults gives every flag the user did not set a default from MESHCTL_<FLAG> (dashes become
// underscores) or from the config file's key of the same name as the flag. Flags on the command line win,
// then the environment, then the file.
func applyConfigDefaults(cmd *cobra.Command, getenv func(string) string) error {
	v := viper.New()
	if path := configFile(getenv); path != "" {
		v.SetConfigFile(path)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			var notFound viper.ConfigFileNotFoundError
			if !errors.As(err, &notFound) && !errors.Is(err, os.ErrNotExist) {
				return configInputError{fmt.Errorf("read config file %s: %w", path, err)}
			}
		}
	}
	var firstErr error
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		if fl.Changed || firstErr != nil {
			return
		}
		env := "MESHCTL_" + strings.ToUpper(strings.ReplaceAll(fl.Name, "-", "_"))
		val, source := getenv(env), env
		if val == "" && v.IsSet(fl.Name) {
			val, source = v.GetString(fl.Name), fmt.Sprintf("%s in %s", fl.Name, v.ConfigFileUsed())
		}
		if val == "" {
			return
		}
		if err := fl.Value.Set(val); err != nil {
			firstErr = configInputError{fmt.Errorf("%s: invalid value %q for --%s: %w", source, val, fl.Name, err)}
		}
	})
	return firstErr
}
