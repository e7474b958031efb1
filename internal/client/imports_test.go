package client

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestClientImportArrows checks the package graph: the client reaches the
// servers only over remoting, never by importing them.
func TestClientImportArrows(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/gorocket/gorocket/internal/client").CombinedOutput()
	require.NoError(t, err, string(out))
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"/internal/store", "/internal/ha", "/internal/broker", "/internal/namesrv"} {
			require.False(t, strings.HasSuffix(dep, banned) || strings.Contains(dep, banned+"/"), "client imports %s", dep)
		}
	}
}
