package metrics

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestServerScrape(t *testing.T) {
	f := NewFeed()
	f.ObserveSnapshot(fakeSnapshot())
	f.ObserveSample(fakeSample())
	s, err := Listen("127.0.0.1:0", NewRegistry(f))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	base := "http://" + s.Addr()
	if s.URL() != base+"/metrics" {
		t.Errorf("URL %s, want %s/metrics", s.URL(), base)
	}
	const want = `
# HELP infertop_samples_per_second Samples (batch × batches) per second over the last completed measurement window.
# TYPE infertop_samples_per_second gauge
infertop_samples_per_second{batch="256",device="cuda:0",model="mlp"} 1024
# HELP infertop_gpu_power_watts Board power draw in watts (dcgm-exporter: DCGM_FI_DEV_POWER_USAGE).
# TYPE infertop_gpu_power_watts gauge
infertop_gpu_power_watts{fake="false",index="0",uuid="GPU-0000"} 512.5
`
	if err := testutil.ScrapeAndCompare(base+"/metrics", strings.NewReader(want),
		"infertop_samples_per_second", "infertop_gpu_power_watts"); err != nil {
		t.Fatal(err)
	}
	// The runtime collectors are there too.
	if _, body := get(t, base+"/metrics"); !strings.Contains(body, "go_goroutines ") {
		t.Error("no go_goroutines in the scrape")
	}
	// Values follow the feed from one scrape to the next.
	s2 := fakeSnapshot()
	s2.Seq++
	s2.Window.SamplesPerSec = 2048
	f.ObserveSnapshot(s2)
	if _, body := get(t, base+"/metrics"); !strings.Contains(body, `infertop_samples_per_second{batch="256",device="cuda:0",model="mlp"} 2048`) {
		t.Error("the second scrape does not show the new snapshot")
	}
	if code, body := get(t, base+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("healthz: %d %q", code, body)
	}
	if code, _ := get(t, base+"/"); code != http.StatusNotFound {
		t.Errorf("/: %d, want 404", code)
	}
	resp, err := http.Post(base+"/metrics", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: %d, want 405", resp.StatusCode)
	}
}

func TestListenRefusesAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s, err := Listen(ln.Addr().String(), NewRegistry(NewFeed()))
	if err == nil {
		s.Close()
		t.Fatal("a second listener on the same address was accepted")
	}
	if !errors.Is(err, ErrAddrInUse) || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Errorf("error %q: want ErrAddrInUse naming the address", err)
	}
}

func TestListenRefusesBadAddress(t *testing.T) {
	if _, err := Listen("127.0.0.1:notaport", NewRegistry(NewFeed())); err == nil || errors.Is(err, ErrAddrInUse) {
		t.Errorf("bad address: %v", err)
	}
}

func TestURLNamesLocalhostForEveryInterface(t *testing.T) {
	s, err := Listen("127.0.0.1:0", NewRegistry(NewFeed()))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, port, _ := net.SplitHostPort(s.Addr())
	u := &Server{ln: fakeAddrListener{net.JoinHostPort("::", port)}}
	if got := u.URL(); got != "http://localhost:"+port+"/metrics" {
		t.Errorf("URL %s", got)
	}
}

type fakeAddrListener struct{ addr string }

func (fakeAddrListener) Accept() (net.Conn, error) { return nil, errors.New("none") }
func (fakeAddrListener) Close() error              { return nil }
func (l fakeAddrListener) Addr() net.Addr {
	a, _ := net.ResolveTCPAddr("tcp", l.addr)
	return a
}
