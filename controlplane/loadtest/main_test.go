package loadtest_test

import (
	"os"
	"testing"

	"github.com/meshctl/meshctl/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }
