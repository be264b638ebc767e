package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ErrAddrInUse is wrapped by Listen's error when another program holds the address.
var ErrAddrInUse = errors.New("address already in use")

// NewRegistry returns a registry of its own holding the feed's collector and
// the Go runtime and process collectors.
func NewRegistry(feed *Feed) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(feed),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Server serves /metrics and /healthz on one address, read-only. It is
// started by Listen and ended by Close.
type Server struct {
	ln   net.Listener
	srv  *http.Server
	done chan struct{}
	err  error // set before done is closed
}

// Listen binds addr (Go's convention: ":9464" is every interface,
// "127.0.0.1:9464" this machine only, port 0 any free port) and serves g's
// metrics in a goroutine of its own. An address another program holds is
// refused with an error wrapping ErrAddrInUse.
func Listen(addr string, g prometheus.Gatherer) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("metrics address %s: %w by another program (pick another port with --metrics-addr)", addr, ErrAddrInUse)
		}
		return nil, fmt.Errorf("metrics address %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	s := &Server{ln: ln, done: make(chan struct{}), srv: &http.Server{
		Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
	}}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.err = fmt.Errorf("metrics server: %w", err)
		}
	}()
	return s, nil
}

// Addr is the address the server listens on (with the port chosen for port 0).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the metrics endpoint's address for people, e.g. http://127.0.0.1:9464/metrics;
// an unspecified host reads "localhost".
func (s *Server) URL() string {
	host, port, err := net.SplitHostPort(s.Addr())
	if err != nil {
		return "http://" + s.Addr() + "/metrics"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/metrics"
}

// Close stops serving, lets scrapes in flight finish (up to a second) and
// waits for the server's goroutine.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, s.srv.Close())
	}
	<-s.done
	if err != nil {
		return fmt.Errorf("metrics server: %w", err)
	}
	return s.err
}
