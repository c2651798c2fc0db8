// Helpers that start the real settled binary for the Go integration tests.
package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
)

// server is one running settled process.
type server struct {
	cmd     *exec.Cmd
	addr    string
	dir     string
	logPath string
	done    chan struct{} // closed when the process has exited
	exitErr error
}

// timeoutScale reads SETTLED_TEST_TIMEOUT_MULTIPLIER (default 1).
func scaled(d time.Duration) time.Duration {
	if v := os.Getenv("SETTLED_TEST_TIMEOUT_MULTIPLIER"); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 {
			return time.Duration(float64(d) * f)
		}
	}
	return d
}

func shutdownTimeout() string {
	if v := os.Getenv("SETTLED_TEST_SHUTDOWN_TIMEOUT"); v != "" {
		return v
	}
	return "2"
}

// startServer starts $SETTLED_BIN on 127.0.0.1:0 in a fresh tmp dir and
// waits for its ready file. The process is stopped at test cleanup.
func startServer(t *testing.T, extra ...string) *server {
	t.Helper()
	bin := os.Getenv("SETTLED_BIN")
	if bin == "" {
		t.Skip("SETTLED_BIN is not set: build //server:settled and export SETTLED_BIN " +
			"(scripts/test.sh does both)")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("SETTLED_BIN=%s: %v", bin, err)
	}
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	args := append([]string{
		"--listen", "127.0.0.1:0",
		"--ready-file", ready,
		"--data-dir", filepath.Join(dir, "data"),
		"--shutdown-timeout", shutdownTimeout(),
	}, extra...)
	logPath := filepath.Join(dir, "stderr.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stderr = logFile
	cmd.Stdout = logFile
	cmd.Env = filteredEnv()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("start %s: %v", bin, err)
	}
	logFile.Close()
	s := &server{cmd: cmd, dir: dir, logPath: logPath, done: make(chan struct{})}
	go func() {
		s.exitErr = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(s.kill)

	deadline := time.Now().Add(scaled(15 * time.Second))
	for {
		if b, err := os.ReadFile(ready); err == nil && strings.HasSuffix(string(b), "\n") {
			s.addr = strings.TrimSpace(string(b))
			return s
		}
		select {
		case <-s.done:
			t.Fatalf("settled exited (%v) before it was ready; log:\n%s", s.exitErr, s.log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("settled did not write %s in time; log:\n%s", ready, s.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// filteredEnv is the environment without SETTLED_* variables, so that the
// flags above are the only configuration.
func filteredEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SETTLED_") {
			env = append(env, kv)
		}
	}
	return env
}

func (s *server) log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

func (s *server) signal(sig syscall.Signal) error {
	return s.cmd.Process.Signal(sig)
}

// wait returns the exit code, or an error if the process is still running
// after d.
func (s *server) wait(d time.Duration) (int, error) {
	select {
	case <-s.done:
		return s.cmd.ProcessState.ExitCode(), nil
	case <-time.After(d):
		return -1, fmt.Errorf("still running after %v", d)
	}
}

// kill stops the process: SIGTERM, then SIGKILL after a deadline.
func (s *server) kill() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(scaled(10 * time.Second)):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// dial opens one client connection and waits until it is ready.
func dial(t *testing.T, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	opts = append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), scaled(10*time.Second))
	defer cancel()
	conn.Connect()
	for {
		st := conn.GetState()
		if st == connectivity.Ready {
			return conn
		}
		if !conn.WaitForStateChange(ctx, st) {
			t.Fatalf("connection to %s not ready: %v", addr, st)
		}
	}
}
