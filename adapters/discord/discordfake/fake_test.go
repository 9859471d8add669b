package discordfake

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// Text channel names are kept as Discord keeps them (lower case, one
// dash for each run of spaces and dashes); categories keep theirs; and
// names past Discord's limits are refused with its error.
func TestChannelNames(t *testing.T) {
	s := New("tok")
	defer s.Close()
	g := s.AddGuild("Guild")
	for _, tc := range []struct {
		typ        int
		name, want string
		status     int
	}{
		{TypeText, "show-and-tell", "show-and-tell", http.StatusCreated},
		{TypeText, "Show  And - Tell", "show-and-tell", http.StatusCreated},
		{TypeCategory, "Start Here", "Start Here", http.StatusCreated},
		{TypeText, strings.Repeat("é", 100), strings.Repeat("é", 100), http.StatusCreated},
		{TypeText, strings.Repeat("é", 101), "", http.StatusBadRequest},
		{TypeText, "  ", "", http.StatusBadRequest},
	} {
		body, _ := json.Marshal(map[string]any{"name": tc.name, "type": tc.typ})
		req, _ := http.NewRequest(http.MethodPost, s.APIURL()+"/guilds/"+g+"/channels", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bot tok")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var c Channel
		_ = json.NewDecoder(resp.Body).Decode(&c)
		resp.Body.Close()
		if resp.StatusCode != tc.status || c.Name != tc.want {
			t.Errorf("create %q (type %d): %s %q; want %d %q", tc.name, tc.typ, resp.Status, c.Name, tc.status, tc.want)
		}
	}
}
