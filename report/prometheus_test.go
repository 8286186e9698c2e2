package report

import (
	"bytes"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ptacheck/ptacheck/checks"
)

// The exposition parses with Prometheus's own parser, and every series
// says what the report says.
func TestPrometheusParses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mutate  func(*Report)
		verdict string
		code    float64
	}{
		{"mixed", func(*Report) {}, VerdictNotReady, 1},
		{"ready", func(r *Report) { r.Results = r.Results[:1] }, VerdictReady, 0},
		{"interrupted", func(r *Report) { r.Interrupted, r.InterruptExit = true, 143 }, VerdictNotReady, 143},
		{"odd labels", func(r *Report) { r.Fixture = "dir\\with \"quotes\"\nand a newline" }, VerdictNotReady, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mixedReport()
			tc.mutate(r)
			var buf bytes.Buffer
			if err := Prometheus(&buf, r, Options{}); err != nil {
				t.Fatal(err)
			}
			p := expfmt.NewTextParser(model.LegacyValidation)
			families, err := p.TextToMetricFamilies(strings.NewReader(buf.String()))
			if err != nil {
				t.Fatalf("the Prometheus parser rejects the output: %v\n%s", err, buf.String())
			}
			value := func(name string, labels map[string]string) (float64, bool) {
				f := families[name]
				if f == nil || f.GetType() != dto.MetricType_GAUGE {
					t.Fatalf("%s: missing or not a gauge", name)
				}
			next:
				for _, m := range f.Metric {
					got := map[string]string{}
					for _, l := range m.Label {
						got[l.GetName()] = l.GetValue()
					}
					if got["phase"] != "install" || got["fixture"] != r.Fixture {
						t.Errorf("%s: labels %v", name, got)
					}
					for k, v := range labels {
						if got[k] != v {
							continue next
						}
					}
					return m.GetGauge().GetValue(), true
				}
				return 0, false
			}
			for _, v := range []string{VerdictReady, VerdictNotReady, VerdictInconclusive} {
				want := 0.0
				if v == tc.verdict {
					want = 1
				}
				if got, ok := value("ptacheck_verdict", map[string]string{"verdict": v}); !ok || got != want {
					t.Errorf("verdict %s = %v, want %v", v, got, want)
				}
			}
			if got, _ := value("ptacheck_exit_code", nil); got != tc.code {
				t.Errorf("exit code %v, want %v", got, tc.code)
			}
			for _, res := range r.Results {
				var ones int
				for _, s := range []checks.Status{checks.StatusPass, checks.StatusWarn, checks.StatusFail, checks.StatusSkip, checks.StatusError} {
					got, ok := value("ptacheck_check_status", map[string]string{"check": res.ID, "status": string(s)})
					if !ok || (got == 1) != (res.Status == s) {
						t.Errorf("%s status %s = %v (present %v); the check ended %s", res.ID, s, got, ok, res.Status)
					}
					ones += int(got)
				}
				if ones != 1 {
					t.Errorf("%s: %d statuses set", res.ID, ones)
				}
			}
			if got, _ := value("ptacheck_last_run_timestamp_seconds", nil); got != float64(r.StartedAt.Unix()) {
				t.Errorf("timestamp %v", got)
			}
			if got, _ := value("ptacheck_checks", map[string]string{"status": "fail"}); got != float64(r.Summary().Fail) {
				t.Errorf("fail count %v", got)
			}
		})
	}
}
