package client

import (
	"testing"

	"github.com/gorocket/gorocket/internal/remoting/protocol"

	"github.com/stretchr/testify/require"
)

func TestPushConsumerTagExpression(t *testing.T) {
	cases := []struct {
		expr  string
		sub   string
		tags  []string
		codes protocol.CodeSet
		match map[string]bool
	}{
		{"*", "*", []string{}, protocol.CodeSet{}, map[string]bool{"TagA": true, "": true}},
		{"", "*", []string{}, protocol.CodeSet{}, map[string]bool{"x": true}},
		{"TagA || TagB", "TagA || TagB", []string{"TagA", "TagB"}, protocol.CodeSet{2598919, 2598920},
			map[string]bool{"TagA": true, "TagB": true, "TagC": false, "": false}},
		{" TagA ||  || TagC ", "TagA ||  || TagC", []string{"TagA", "TagC"}, protocol.CodeSet{2598919, 2598921},
			map[string]bool{"TagC": true, "TagB": false}},
	}
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			sd := newTagSubscription("T", tc.expr, 7)
			require.Equal(t, tc.sub, sd.SubString)
			require.Equal(t, tc.tags, sd.TagsSet)
			require.Equal(t, tc.codes, sd.CodeSet)
			require.Equal(t, protocol.ExpressionTag, sd.ExpressionType)
			require.Equal(t, int64(7), sd.SubVersion)
			for tag, want := range tc.match {
				require.Equal(t, want, matchTag(&sd, tag), "tag %q", tag)
			}
		})
	}
}
