// k8s-dry-run renders every kustomize overlay in-process, as k8s-check does, and sends each rendered
// object to a real kube-apiserver as a server-side apply with dryRun=All: the API server's own
// defaulting, validation (every field, enums, ranges, immutable rules, CRD OpenAPI schemas) and admission
// run on it, and nothing is stored.
//
// The API server is a throwaway one started here: etcd and kube-apiserver (binaries given by --etcd and
// --apiserver, built by dry-run.sh from the Go module proxy) on free loopback ports, with a generated
// bearer token (system:masters) and service-account key, the self-signed serving certificate
// kube-apiserver makes itself, and a temporary data directory removed on exit. Nothing leaves loopback.
//
// Before the objects, it installs the CRDs given by --crd (files or directories of YAML; KEDA's from its
// Go module) and creates, for real, each namespace the render uses (from the render's Namespace object
// when there is one). When that namespace enforces a Pod Security level, it is created with the warn
// label at the same level, so that a workload whose pod template the namespace would reject comes back
// with the server's "would violate PodSecurity" warning; that warning is an error here.
//
// Usage: k8s-dry-run --etcd BIN --apiserver BIN [--crd PATH]... [--root DIR] [KUSTOMIZATION_DIR...]
// Without directories it renders every DIR/overlays/*. One line per object, a summary; exit 1 when an
// object is rejected or an overlay does not render, 2 on a usage or setup error (a server that does not
// start).
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

const (
	fieldManager      = "dsmath-dry-run"
	setupFieldManager = "dsmath-dry-run-setup"
	psaEnforce        = "pod-security.kubernetes.io/enforce"
	psaEnforceVersion = "pod-security.kubernetes.io/enforce-version"
	psaWarn           = "pod-security.kubernetes.io/warn"
	psaWarnVersion    = "pod-security.kubernetes.io/warn-version"
)

type object struct {
	overlay  string
	source   string
	obj      *unstructured.Unstructured
	problems []string
	warnings []string
}

func (o *object) id() string {
	if ns := o.obj.GetNamespace(); ns != "" {
		return fmt.Sprintf("%s %s/%s", o.obj.GetKind(), ns, o.obj.GetName())
	}
	return fmt.Sprintf("%s %s", o.obj.GetKind(), o.obj.GetName())
}

func main() {
	os.Exit(run(os.Args[1:]))
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func run(args []string) int {
	fs := flag.NewFlagSet("k8s-dry-run", flag.ContinueOnError)
	root := fs.String("root", "k8s", "the k8s directory: overlays are DIR/overlays/*, paths are shown relative to it")
	etcdBin := fs.String("etcd", "", "the etcd binary")
	apiBin := fs.String("apiserver", "", "the kube-apiserver binary")
	var crds stringList
	fs.Var(&crds, "crd", "a CRD YAML file or a directory of them, installed before the dry run (repeatable)")
	quiet := fs.Bool("quiet", false, "print only rejected objects and the summary")
	keep := fs.Bool("keep", false, "keep the temporary directory (logs, etcd data) and print its path")
	startTimeout := fs.Duration("start-timeout", 4*time.Minute, "how long etcd and kube-apiserver may take to become ready")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: k8s-dry-run --etcd BIN --apiserver BIN [--crd PATH]... [--root DIR] [--quiet] [--keep] [KUSTOMIZATION_DIR...]")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *etcdBin == "" || *apiBin == "" {
		fs.Usage()
		return 2
	}
	rootAbs, err := filepath.Abs(*root)
	if err != nil {
		return setupErr(err)
	}
	dirs, err := overlayDirs(rootAbs, fs.Args())
	if err != nil {
		return setupErr(err)
	}

	// Render first: there is no point starting a server for an overlay that does not build.
	type rendered struct {
		overlay string
		objs    []*object
		err     error
	}
	var renders []rendered
	for _, dir := range dirs {
		dirAbs, _ := filepath.Abs(dir)
		overlay := rel(rootAbs, dirAbs)
		objs, err := render(rootAbs, dirAbs, overlay)
		renders = append(renders, rendered{overlay, objs, err})
	}
	var crdObjs []*unstructured.Unstructured
	for _, p := range crds {
		objs, err := readYAMLObjects(p)
		if err != nil {
			return setupErr(fmt.Errorf("--crd %s: %v", p, err))
		}
		crdObjs = append(crdObjs, objs...)
	}

	work, err := os.MkdirTemp("", "dsmath-k8s-dry-run-")
	if err != nil {
		return setupErr(err)
	}
	cl := &cluster{work: work}
	defer func() {
		cl.stop()
		if *keep {
			fmt.Fprintf(os.Stderr, "k8s-dry-run: kept %s (etcd.log, kube-apiserver.log)\n", work)
		} else {
			os.RemoveAll(work)
		}
	}()
	// Ctrl-C or a SIGTERM stops the servers; the children also get SIGKILL if this process dies (Pdeathsig).
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		fmt.Fprintf(os.Stderr, "k8s-dry-run: %v, stopping the servers\n", s)
		cl.stop()
		if !*keep {
			os.RemoveAll(work)
		}
		os.Exit(2)
	}()

	started := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), *startTimeout)
	cfg, err := cl.start(ctx, *etcdBin, *apiBin)
	cancel()
	if err != nil {
		return setupErr(err)
	}
	warnings := &warningCollector{}
	cfg.WarningHandler = warnings
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return setupErr(err)
	}
	disco, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return setupErr(err)
	}
	version := "?"
	if v, err := disco.ServerVersion(); err == nil {
		version = v.GitVersion
	}
	fmt.Fprintf(os.Stderr, "k8s-dry-run: etcd and kube-apiserver %s ready in %.1f s\n", version, time.Since(started).Seconds())

	ctx = context.Background()
	if len(crdObjs) > 0 {
		t := time.Now()
		if err := installCRDs(ctx, dyn, crdObjs); err != nil {
			return setupErr(err)
		}
		fmt.Fprintf(os.Stderr, "k8s-dry-run: %d CRDs installed and established in %.1f s\n", len(crdObjs), time.Since(t).Seconds())
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disco))

	total, failed, renderFailed := 0, 0, 0
	for _, r := range renders {
		if r.err != nil {
			renderFailed++
			fmt.Printf("FAIL  %-14s kustomize build failed: %s\n", r.overlay, strings.Join(strings.Fields(r.err.Error()), " "))
			continue
		}
		if err := createNamespaces(ctx, dyn, r.objs); err != nil {
			return setupErr(fmt.Errorf("%s: %v", r.overlay, err))
		}
		for _, o := range r.objs {
			total++
			warnings.reset()
			dryRun(ctx, dyn, mapper, o)
			for _, w := range warnings.take() {
				if strings.Contains(w, "would violate PodSecurity") {
					o.problems = append(o.problems, "the namespace's Pod Security level would reject its pods: "+w)
				} else {
					o.warnings = append(o.warnings, w)
				}
			}
			status := "ok  "
			if len(o.problems) > 0 {
				status = "FAIL"
				failed++
			}
			if *quiet && len(o.problems) == 0 {
				continue
			}
			fmt.Printf("%s  %-14s %-48s %s\n", status, r.overlay, o.id(), o.source)
			for _, p := range o.problems {
				fmt.Printf("        error: %s\n", p)
			}
			for _, w := range o.warnings {
				fmt.Printf("        warning: %s\n", w)
			}
		}
	}
	fmt.Printf("k8s-dry-run: %d overlays rendered (%d failed to render), %d objects dry-run against kube-apiserver %s, %d rejected\n",
		len(renders)-renderFailed, renderFailed, total, version, failed)
	fmt.Fprintf(os.Stderr, "k8s-dry-run: %.1f s in all\n", time.Since(started).Seconds())
	if failed > 0 || renderFailed > 0 {
		return 1
	}
	return 0
}

func setupErr(err error) int {
	fmt.Fprintf(os.Stderr, "k8s-dry-run: %v\n", err)
	return 2
}

// dryRun sends one object as a server-side apply with dryRun=All and strict field validation.
func dryRun(ctx context.Context, dyn dynamic.Interface, mapper meta.RESTMapper, o *object) {
	gvk := o.obj.GroupVersionKind()
	m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		o.problems = append(o.problems, fmt.Sprintf("the API server does not serve %s (%v)", gvk, err))
		return
	}
	body, err := json.Marshal(o.obj.Object)
	if err != nil {
		o.problems = append(o.problems, err.Error())
		return
	}
	var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := o.obj.GetNamespace()
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		ri = dyn.Resource(m.Resource).Namespace(ns)
	} else if o.obj.GetNamespace() != "" {
		o.warnings = append(o.warnings, fmt.Sprintf("%s is cluster-scoped; metadata.namespace %q is ignored", gvk.Kind, o.obj.GetNamespace()))
	}
	force := true
	_, err = ri.Patch(ctx, o.obj.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{
		DryRun:          []string{metav1.DryRunAll},
		Force:           &force,
		FieldManager:    fieldManager,
		FieldValidation: metav1.FieldValidationStrict,
	})
	if err != nil {
		o.problems = append(o.problems, statusLines(err)...)
	}
}

// statusLines is the API server's rejection, one line per cause when it names them.
func statusLines(err error) []string {
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		st := se.Status()
		if st.Details != nil && len(st.Details.Causes) > 0 {
			var out []string
			for _, c := range st.Details.Causes {
				line := c.Message
				if c.Field != "" {
					line = c.Field + ": " + c.Message
				}
				out = append(out, fmt.Sprintf("%s (%s)", oneLine(line), st.Reason))
			}
			return out
		}
		return []string{fmt.Sprintf("%s (%s)", oneLine(st.Message), st.Reason)}
	}
	return []string{oneLine(err.Error())}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// createNamespaces creates, for real, every namespace that the render's objects live in, so that the dry
// run of a namespaced object is not refused for a missing namespace (the Namespace object itself is then
// dry-run like the rest). A namespace that enforces a Pod Security level also gets the warn label at
// that level.
func createNamespaces(ctx context.Context, dyn dynamic.Interface, objs []*object) error {
	nsGVR := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	want := map[string]*unstructured.Unstructured{}
	for _, o := range objs {
		if o.obj.GetAPIVersion() == "v1" && o.obj.GetKind() == "Namespace" {
			want[o.obj.GetName()] = o.obj
		}
	}
	for _, o := range objs {
		if ns := o.obj.GetNamespace(); ns != "" && want[ns] == nil {
			u := &unstructured.Unstructured{}
			u.SetAPIVersion("v1")
			u.SetKind("Namespace")
			u.SetName(ns)
			want[ns] = u
		}
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": n}}}
		labels := want[n].GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		if level := labels[psaEnforce]; level != "" {
			labels[psaWarn] = level
			if v := labels[psaEnforceVersion]; v != "" {
				labels[psaWarnVersion] = v
			}
		}
		ns.SetLabels(labels)
		body, err := json.Marshal(ns.Object)
		if err != nil {
			return err
		}
		force := true
		if _, err := dyn.Resource(nsGVR).Patch(ctx, n, types.ApplyPatchType, body, metav1.PatchOptions{Force: &force, FieldManager: setupFieldManager}); err != nil {
			return fmt.Errorf("creating namespace %s: %v", n, err)
		}
	}
	return nil
}

// installCRDs applies the CRDs for real and waits until each is Established.
func installCRDs(ctx context.Context, dyn dynamic.Interface, crds []*unstructured.Unstructured) error {
	gvr := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	force := true
	for _, c := range crds {
		if c.GetKind() != "CustomResourceDefinition" {
			return fmt.Errorf("%s %s is not a CustomResourceDefinition", c.GetKind(), c.GetName())
		}
		body, err := json.Marshal(c.Object)
		if err != nil {
			return err
		}
		if _, err := dyn.Resource(gvr).Patch(ctx, c.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{Force: &force, FieldManager: setupFieldManager}); err != nil {
			return fmt.Errorf("installing CRD %s: %v", c.GetName(), err)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for _, c := range crds {
		for {
			got, err := dyn.Resource(gvr).Get(ctx, c.GetName(), metav1.GetOptions{})
			if err == nil && established(got) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("CRD %s not established after a minute (%v)", c.GetName(), err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	return nil
}

func established(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// warningCollector keeps the API server's warnings (the Warning response header) of the current request.
type warningCollector struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warningCollector) HandleWarningHeader(code int, agent string, text string) {
	if code != 299 || text == "" {
		return
	}
	w.mu.Lock()
	w.msgs = append(w.msgs, text)
	w.mu.Unlock()
}

func (w *warningCollector) reset() { w.mu.Lock(); w.msgs = nil; w.mu.Unlock() }

func (w *warningCollector) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.msgs
	w.msgs = nil
	return out
}

// cluster is the throwaway etcd + kube-apiserver pair.
type cluster struct {
	work  string
	mu    sync.Mutex
	procs []*proc // in start order; stopped in reverse
}

type proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done is closed
}

func (c *cluster) start(ctx context.Context, etcdBin, apiBin string) (*rest.Config, error) {
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdClient := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	etcdPeer := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	securePort := ports[2]

	if err := c.spawn(etcdBin, "etcd.log",
		"--name", "dry-run",
		"--data-dir", filepath.Join(c.work, "etcd"),
		"--listen-client-urls", etcdClient, "--advertise-client-urls", etcdClient,
		"--listen-peer-urls", etcdPeer, "--initial-advertise-peer-urls", etcdPeer,
		"--initial-cluster", "dry-run="+etcdPeer,
		"--unsafe-no-fsync", // a throwaway store: no fsync keeps it fast on a busy disk
		"--log-level", "warn",
	); err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, http.DefaultClient, etcdClient+"/health", c.procs[0], filepath.Join(c.work, "etcd.log")); err != nil {
		return nil, fmt.Errorf("etcd: %v", err)
	}

	token, err := randomHex(24)
	if err != nil {
		return nil, err
	}
	tokens := filepath.Join(c.work, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(token+`,dsmath-dry-run,dsmath-dry-run,"system:masters"`+"\n"), 0o600); err != nil {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	saKey := filepath.Join(c.work, "sa.key")
	if err := os.WriteFile(saKey, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		return nil, err
	}
	certDir := filepath.Join(c.work, "certs")
	if err := c.spawn(apiBin, "kube-apiserver.log",
		"--etcd-servers", etcdClient,
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
		"--secure-port", fmt.Sprint(securePort),
		"--cert-dir", certDir, // kube-apiserver writes a self-signed serving certificate here
		"--token-auth-file", tokens,
		"--authorization-mode", "RBAC",
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file", saKey,
		"--service-account-signing-key-file", saKey,
		"--service-cluster-ip-range", "10.96.0.0/16",
		"--endpoint-reconciler-type", "none", // the "kubernetes" Service's endpoints may not be on loopback
		"--profiling=false",
		"--v", "0",
	); err != nil {
		return nil, err
	}
	cfg := &rest.Config{
		Host:        fmt.Sprintf("https://127.0.0.1:%d", securePort),
		BearerToken: token,
		// The serving certificate is kube-apiserver's own self-signed one, for a server on loopback that
		// lives as long as this process.
		TLSClientConfig: rest.TLSClientConfig{Insecure: true},
		QPS:             200,
		Burst:           400,
		UserAgent:       "dsmath-k8s-dry-run",
	}
	rt, err := rest.TransportFor(cfg)
	if err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, &http.Client{Transport: rt, Timeout: 10 * time.Second}, cfg.Host+"/readyz", c.procs[1], filepath.Join(c.work, "kube-apiserver.log")); err != nil {
		return nil, fmt.Errorf("kube-apiserver: %v", err)
	}
	return cfg, nil
}

func (c *cluster) spawn(bin, logName string, args ...string) error {
	logf, err := os.Create(filepath.Join(c.work, logName))
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = c.work
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("starting %s: %v", bin, err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); logf.Close(); close(p.done) }()
	c.mu.Lock()
	c.procs = append(c.procs, p)
	c.mu.Unlock()
	return nil
}

// stop sends SIGTERM to each process (newest first) and SIGKILL to one still running after 10 s.
func (c *cluster) stop() {
	c.mu.Lock()
	procs := c.procs
	c.procs = nil
	c.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		p := procs[i]
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
}

// waitHTTP polls url until it answers 200, the process exits or ctx ends; on failure it shows the log's tail.
func waitHTTP(ctx context.Context, client *http.Client, url string, p *proc, logPath string) error {
	var last string
	for {
		select {
		case <-p.done:
			return fmt.Errorf("exited (%v) before it was ready; log tail:\n%s", p.err, tail(logPath, 25))
		default:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, oneLine(string(b)))
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready (%s: %s); log tail:\n%s", url, last, tail(logPath, 25))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// readYAMLObjects reads every object of a YAML file, or of each *.yaml/*.yml file of a directory.
func readYAMLObjects(path string) ([]*unstructured.Unstructured, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	files := []string{path}
	if st.IsDir() {
		files = nil
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
		sort.Strings(files)
	}
	var out []*unstructured.Unstructured
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
		for {
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, fmt.Errorf("%s: %v", f, err)
			}
			if len(m) == 0 {
				continue
			}
			out = append(out, &unstructured.Unstructured{Object: m})
		}
	}
	return out, nil
}

func overlayDirs(rootAbs string, args []string) ([]string, error) {
	if len(args) > 0 {
		return args, nil
	}
	entries, err := os.ReadDir(filepath.Join(rootAbs, "overlays"))
	if err != nil {
		return nil, fmt.Errorf("no overlays: %v", err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() && kustomizationFile(filepath.Join(rootAbs, "overlays", e.Name())) != "" {
			dirs = append(dirs, filepath.Join(rootAbs, "overlays", e.Name()))
		}
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("no kustomization under %s/overlays/*", rootAbs)
	}
	return dirs, nil
}

func rel(base, p string) string {
	if r, err := filepath.Rel(base, p); err == nil {
		return r
	}
	return p
}

func kustomizationFile(dir string) string {
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			return filepath.Join(dir, n)
		}
	}
	return ""
}

// originFS is the disk, except that the top kustomization asks for origin annotations, so that every
// rendered object names the file it came from (as in k8s-check).
type originFS struct {
	filesys.FileSystem
	top string
}

func (f originFS) ReadFile(path string) ([]byte, error) {
	b, err := f.FileSystem.ReadFile(path)
	if err == nil && filepath.Clean(path) == f.top && !bytes.Contains(b, []byte("buildMetadata")) {
		b = append(append(b, '\n'), []byte("buildMetadata: [originAnnotations]\n")...)
	}
	return b, err
}

const originKey = "config.kubernetes.io/origin"

func render(rootAbs, dirAbs, overlay string) ([]*object, error) {
	top := kustomizationFile(dirAbs)
	if top == "" {
		return nil, fmt.Errorf("no kustomization.yaml in %s", dirAbs)
	}
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(originFS{filesys.MakeFsOnDisk(), top}, dirAbs)
	if err != nil {
		return nil, err
	}
	var objs []*object
	for _, r := range m.Resources() {
		source := overlay + " (generated)"
		if o, err := r.GetOrigin(); err == nil && o != nil {
			switch {
			case o.Path != "":
				source = rel(rootAbs, filepath.Join(dirAbs, o.Path))
			case o.ConfiguredIn != "":
				source = rel(rootAbs, filepath.Join(dirAbs, o.ConfiguredIn)) + " (generated)"
			}
		}
		ann := r.GetAnnotations()
		if _, ok := ann[originKey]; ok {
			delete(ann, originKey)
			if err := r.SetAnnotations(ann); err != nil {
				return nil, err
			}
		}
		raw, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("%s %s: %v", r.GetKind(), r.GetName(), err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(raw); err != nil {
			return nil, fmt.Errorf("%s %s: %v", r.GetKind(), r.GetName(), err)
		}
		objs = append(objs, &object{overlay: overlay, source: source, obj: u})
	}
	return objs, nil
}
