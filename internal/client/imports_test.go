package client

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestClientImportArrows checks the package graph: the client reaches the
// servers only over remoting, never by importing them, and its own tests
// do not either (tests against real servers live in package e2e).
func TestClientImportArrows(t *testing.T) {
	for _, args := range [][]string{
		{"list", "-deps", "github.com/gorocket/gorocket/internal/client"},
		{"list", "-deps", "-test", "github.com/gorocket/gorocket/internal/client"},
	} {
		out, err := exec.Command("go", args...).CombinedOutput()
		require.NoError(t, err, string(out))
		for _, dep := range strings.Fields(string(out)) {
			for _, banned := range []string{"/internal/store", "/internal/ha", "/internal/broker", "/internal/namesrv"} {
				require.False(t, strings.HasSuffix(dep, banned) || strings.Contains(dep, banned+"/"), "go %s: client imports %s", strings.Join(args, " "), dep)
			}
		}
	}
}
