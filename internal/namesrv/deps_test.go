package namesrv

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNamesrvImportArrows checks the package graph of STYLE.md: within the
// module namesrv depends on remoting, protocol and config only, never on
// broker, store, ha, message or client.
func TestNamesrvImportArrows(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "list", "-deps", ".").CombinedOutput()
	require.NoError(t, err, string(out))
	const mod = "github.com/gorocket/gorocket/"
	for _, dep := range strings.Fields(string(out)) {
		if !strings.HasPrefix(dep, mod) {
			continue
		}
		switch strings.TrimPrefix(dep, mod) {
		case "internal/namesrv", "internal/remoting", "internal/remoting/protocol", "internal/config":
		default:
			t.Errorf("namesrv must not depend on %s", dep)
		}
	}
}
