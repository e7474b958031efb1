package client

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPushConsumerTagExpression(t *testing.T) {
	cases := []struct {
		expr  string
		sub   string
		tags  []string
		codes []int32
		match map[string]bool
	}{
		{"*", "*", []string{}, []int32{}, map[string]bool{"TagA": true, "": true}},
		{"", "*", []string{}, []int32{}, map[string]bool{"x": true}},
		{"TagA || TagB", "TagA || TagB", []string{"TagA", "TagB"}, []int32{2598919, 2598920},
			map[string]bool{"TagA": true, "TagB": true, "TagC": false, "": false}},
		{" TagA ||  || TagC ", "TagA ||  || TagC", []string{"TagA", "TagC"}, []int32{2598919, 2598921},
			map[string]bool{"TagC": true, "TagB": false}},
	}
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			sd := newTagSubscription("T", tc.expr, 7)
			require.Equal(t, tc.sub, sd.SubString)
			require.Equal(t, tc.tags, sd.TagsSet)
			require.Equal(t, tc.codes, sd.CodeSet)
			require.Equal(t, ExprTag, sd.ExpressionType)
			require.Equal(t, int64(7), sd.SubVersion)
			for tag, want := range tc.match {
				require.Equal(t, want, sd.matchTag(tag), "tag %q", tag)
			}
		})
	}
}
