// k8s-check renders every kustomize overlay in-process and validates each rendered object offline:
//
//   - built-in kinds are decoded strictly into the typed Kubernetes structs (k8s.io/api): an unknown or
//     misspelt field, a duplicate field or a value of the wrong type is an error;
//   - KEDA ScaledObjects (a CRD, no typed structs here) are decoded strictly into the structs below and
//     their required fields checked by hand;
//   - a few API-server validations that typing alone does not give (names, selectors that match the
//     template, probe handlers, requests <= limits, extended resources requests == limits);
//   - policy: every container has cpu and memory requests and limits, liveness and readiness probes
//     (Jobs and CronJobs exempt), runs as non-root under the restricted Pod Security profile, and no
//     manifest carries a secret value;
//   - references inside one render: ServiceAccounts, ConfigMaps, PriorityClasses, volumes, Service,
//     PDB and ScaledObject targets.
//
// Usage: k8s-check [--root DIR] [KUSTOMIZATION_DIR...]
// Without directories it renders every DIR/overlays/*. One line per object, a summary, exit 1 on any
// failure (2 on a usage error).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// object is one rendered object of one overlay.
type object struct {
	overlay  string
	source   string // file it came from, relative to --root
	raw      []byte // JSON
	typed    runtime.Object
	apiVer   string
	kind     string
	name     string
	ns       string
	problems []string
	warnings []string
}

func (o *object) id() string {
	if o.ns != "" {
		return fmt.Sprintf("%s %s/%s", o.kind, o.ns, o.name)
	}
	return fmt.Sprintf("%s %s", o.kind, o.name)
}

func (o *object) fail(format string, args ...any) {
	o.problems = append(o.problems, fmt.Sprintf(format, args...))
}

func (o *object) warn(format string, args ...any) {
	o.warnings = append(o.warnings, fmt.Sprintf(format, args...))
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("k8s-check", flag.ContinueOnError)
	root := fs.String("root", "k8s", "the k8s directory: overlays are DIR/overlays/*, paths are shown relative to it")
	quiet := fs.Bool("quiet", false, "print only failing objects and the summary")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: k8s-check [--root DIR] [--quiet] [KUSTOMIZATION_DIR...]")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rootAbs, err := filepath.Abs(*root)
	if err != nil {
		fmt.Fprintf(os.Stderr, "k8s-check: %v\n", err)
		return 2
	}
	dirs := fs.Args()
	if len(dirs) == 0 {
		entries, err := os.ReadDir(filepath.Join(rootAbs, "overlays"))
		if err != nil {
			fmt.Fprintf(os.Stderr, "k8s-check: no overlays: %v\n", err)
			return 2
		}
		for _, e := range entries {
			if e.IsDir() && kustomizationFile(filepath.Join(rootAbs, "overlays", e.Name())) != "" {
				dirs = append(dirs, filepath.Join(rootAbs, "overlays", e.Name()))
			}
		}
		if len(dirs) == 0 {
			fmt.Fprintf(os.Stderr, "k8s-check: no kustomization under %s/overlays/*\n", *root)
			return 2
		}
	}

	total, failed, renderFailed := 0, 0, 0
	for _, dir := range dirs {
		dirAbs, _ := filepath.Abs(dir)
		overlay := rel(rootAbs, dirAbs)
		objs, err := render(rootAbs, dirAbs, overlay)
		if err != nil {
			renderFailed++
			fmt.Printf("FAIL  %-14s kustomize build failed: %s\n", overlay, strings.Join(strings.Fields(err.Error()), " "))
			continue
		}
		checkAll(objs)
		for _, o := range objs {
			total++
			status := "ok  "
			if len(o.problems) > 0 {
				status = "FAIL"
				failed++
			}
			if *quiet && len(o.problems) == 0 {
				continue
			}
			fmt.Printf("%s  %-14s %-48s %s\n", status, overlay, o.id(), o.source)
			for _, p := range o.problems {
				fmt.Printf("        error: %s\n", p)
			}
			for _, w := range o.warnings {
				fmt.Printf("        warning: %s\n", w)
			}
		}
	}
	fmt.Printf("k8s-check: %d overlays rendered (%d failed to render), %d objects checked, %d with errors\n",
		len(dirs)-renderFailed, renderFailed, total, failed)
	if failed > 0 || renderFailed > 0 {
		return 1
	}
	return 0
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
// rendered object names the file it came from.
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
		objs = append(objs, &object{
			overlay: overlay, source: source, raw: raw, apiVer: r.GetApiVersion(), kind: r.GetKind(),
			name: r.GetName(), ns: r.GetNamespace(),
		})
	}
	return objs, nil
}

var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, policyv1.AddToScheme,
		networkingv1.AddToScheme, schedulingv1.AddToScheme, rbacv1.AddToScheme, autoscalingv2.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

var strictDecoder = kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme, kjson.SerializerOptions{Strict: true})

// index of one overlay's render, for references between objects.
type index struct {
	byKind map[string]map[string]*object // kind -> namespace/name -> object
}

// get finds an object by kind and name in namespace ns; cluster-scoped kinds have no namespace.
func (ix index) get(kind, ns, name string) *object {
	if clusterScoped[kind] {
		ns = ""
	}
	return ix.byKind[kind][ns+"/"+name]
}

var clusterScoped = map[string]bool{
	"Namespace": true, "PriorityClass": true, "ClusterRole": true, "ClusterRoleBinding": true,
	"PersistentVolume": true, "StorageClass": true, "CustomResourceDefinition": true,
}

func checkAll(objs []*object) {
	ix := index{byKind: map[string]map[string]*object{}}
	for _, o := range objs {
		decode(o)
		if ix.byKind[o.kind] == nil {
			ix.byKind[o.kind] = map[string]*object{}
		}
		key := o.ns + "/" + o.name
		if prev := ix.byKind[o.kind][key]; prev != nil {
			o.fail("duplicate object: %s is also defined in %s", o.id(), prev.source)
		}
		ix.byKind[o.kind][key] = o
	}
	for _, o := range objs {
		checkName(o)
		noSecretValues(o)
		switch t := o.typed.(type) {
		case *appsv1.Deployment:
			checkWorkload(o, ix, t.Spec.Selector, &t.Spec.Template, true)
		case *appsv1.StatefulSet:
			checkWorkload(o, ix, t.Spec.Selector, &t.Spec.Template, true)
		case *appsv1.DaemonSet:
			checkWorkload(o, ix, t.Spec.Selector, &t.Spec.Template, true)
		case *appsv1.ReplicaSet:
			checkWorkload(o, ix, t.Spec.Selector, &t.Spec.Template, true)
		case *batchv1.Job:
			checkWorkload(o, ix, nil, &t.Spec.Template, false)
			if t.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever && t.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyOnFailure {
				o.fail("spec.template.spec.restartPolicy must be Never or OnFailure for a Job, got %q", t.Spec.Template.Spec.RestartPolicy)
			}
		case *batchv1.CronJob:
			checkWorkload(o, ix, nil, &t.Spec.JobTemplate.Spec.Template, false)
		case *corev1.Pod:
			checkPodSpec(o, ix, "spec", &t.Spec, true)
		case *corev1.Service:
			checkService(o, ix, t)
		case *policyv1.PodDisruptionBudget:
			checkPDB(o, ix, t)
		case *corev1.Secret:
			if len(t.Data) > 0 || len(t.StringData) > 0 {
				o.fail("a Secret with values is in the manifests: create it out of band and reference it (secretKeyRef/secretRef)")
			}
		case *corev1.ConfigMap:
			for k, v := range t.Data {
				if secretName.MatchString(k) && strings.TrimSpace(v) != "" {
					o.fail("data.%s looks like a secret value in a ConfigMap: put it in a Secret and reference it", k)
				}
			}
		case *scaledObject:
			checkScaledObject(o, ix, t)
		}
	}
}

// decode parses o.raw strictly into its typed struct.
func decode(o *object) {
	if o.apiVer == "" || o.kind == "" {
		o.fail("missing apiVersion or kind")
		return
	}
	if o.apiVer == "keda.sh/v1alpha1" && o.kind == "ScaledObject" {
		so := &scaledObject{}
		if err := strictJSON(o.raw, so); err != nil {
			o.fail("schema: %v", err)
			return
		}
		o.typed = so
		return
	}
	obj, _, err := strictDecoder.Decode(o.raw, nil, nil)
	if err != nil {
		if runtime.IsNotRegisteredError(err) {
			o.fail("unknown kind %s %s: no schema to validate it against", o.apiVer, o.kind)
			return
		}
		o.fail("schema: %v", err)
		if runtime.IsStrictDecodingError(err) && obj != nil {
			o.typed = obj // still run the other checks on what did decode
		}
		return
	}
	o.typed = obj
}

func strictJSON(raw []byte, into any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	return d.Decode(into)
}

func checkName(o *object) {
	if o.name == "" {
		o.fail("metadata.name is empty")
		return
	}
	var errs []string
	switch o.kind {
	case "Namespace", "Service":
		errs = validation.IsDNS1035Label(o.name)
		if o.kind == "Namespace" {
			errs = validation.IsDNS1123Label(o.name)
		}
	default:
		errs = validation.IsDNS1123Subdomain(o.name)
	}
	for _, e := range errs {
		o.fail("metadata.name %q: %s", o.name, e)
	}
}

var (
	secretName  = regexp.MustCompile(`(?i)(secret|password|passwd|token|api[_-]?key|access[_-]?key|private[_-]?key|credential)`)
	secretValue = regexp.MustCompile(`(AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----|ghp_[A-Za-z0-9]{36}|xox[bap]-[A-Za-z0-9-]{10,})`)
)

func noSecretValues(o *object) {
	if m := secretValue.Find(o.raw); m != nil {
		o.fail("contains what looks like a credential (%.8s…): no secret values in manifests", m)
	}
}

func checkWorkload(o *object, ix index, sel *metav1.LabelSelector, tpl *corev1.PodTemplateSpec, needProbes bool) {
	if sel != nil || o.kind != "Job" && o.kind != "CronJob" {
		if sel == nil || (len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0) {
			o.fail("spec.selector is empty")
		} else if s, err := metav1.LabelSelectorAsSelector(sel); err != nil {
			o.fail("spec.selector: %v", err)
		} else if !s.Matches(labels.Set(tpl.Labels)) {
			o.fail("spec.selector %s does not match the pod template's labels %v", s, tpl.Labels)
		}
	}
	checkPodSpec(o, ix, "spec.template.spec", &tpl.Spec, needProbes)
	checkMetrics(o, tpl)
}

// checkMetrics: a pod template annotated for Prometheus (prometheus.io/scrape: "true") names a numeric
// prometheus.io/port that one of its containers declares and serves (--metrics-port with the same number),
// and a container started with --metrics-port declares that containerPort and is annotated for scraping.
func checkMetrics(o *object, tpl *corev1.PodTemplateSpec) {
	ann := tpl.Annotations
	scrape := ann["prometheus.io/scrape"] == "true"
	var annPort int32
	if scrape {
		if _, err := fmt.Sscanf(ann["prometheus.io/port"], "%d", &annPort); err != nil || annPort < 1 || annPort > 65535 {
			o.fail("spec.template.metadata.annotations: prometheus.io/scrape is true but prometheus.io/port %q is not a port number", ann["prometheus.io/port"])
			return
		}
	}
	served := false
	for i := range tpl.Spec.Containers {
		c := &tpl.Spec.Containers[i]
		args := append(append([]string{}, c.Command...), c.Args...)
		for j, a := range args {
			val := ""
			if a == "--metrics-port" && j+1 < len(args) {
				val = args[j+1]
			} else if strings.HasPrefix(a, "--metrics-port=") {
				val = strings.TrimPrefix(a, "--metrics-port=")
			} else {
				continue
			}
			var port int32
			if _, err := fmt.Sscanf(val, "%d", &port); err != nil {
				o.fail("container %q: --metrics-port %q is not a number", c.Name, val)
				continue
			}
			declared := false
			for _, cp := range c.Ports {
				declared = declared || cp.ContainerPort == port
			}
			if !declared {
				o.fail("container %q: serves metrics on --metrics-port %d but declares no such containerPort", c.Name, port)
			}
			if !scrape {
				o.fail("container %q: serves metrics on %d but the pod template has no prometheus.io/scrape: \"true\" annotation", c.Name, port)
			} else if port != annPort {
				o.fail("container %q: serves metrics on %d but prometheus.io/port is %d", c.Name, port, annPort)
			} else {
				served = true
			}
		}
	}
	if scrape && !served {
		o.fail("spec.template.metadata.annotations: prometheus.io/port %d is not served by any container (--metrics-port)", annPort)
	}
}

func checkPodSpec(o *object, ix index, path string, spec *corev1.PodSpec, needProbes bool) {
	if len(spec.Containers) == 0 {
		o.fail("%s.containers is empty", path)
	}
	if sa := spec.ServiceAccountName; sa != "" && sa != "default" && ix.get("ServiceAccount", o.ns, sa) == nil {
		o.fail("%s.serviceAccountName %q: no such ServiceAccount in this render", path, sa)
	}
	if pc := spec.PriorityClassName; pc != "" && !strings.HasPrefix(pc, "system-") && ix.get("PriorityClass", "", pc) == nil {
		o.fail("%s.priorityClassName %q: no such PriorityClass in this render", path, pc)
	}
	volumes := map[string]bool{}
	for _, v := range spec.Volumes {
		if volumes[v.Name] {
			o.fail("%s.volumes: duplicate volume %q", path, v.Name)
		}
		volumes[v.Name] = true
		if v.ConfigMap != nil && (v.ConfigMap.Optional == nil || !*v.ConfigMap.Optional) && ix.get("ConfigMap", o.ns, v.ConfigMap.Name) == nil {
			o.fail("volume %q: ConfigMap %q is not in this render", v.Name, v.ConfigMap.Name)
		}
	}
	if sts, ok := o.typed.(*appsv1.StatefulSet); ok {
		for _, c := range sts.Spec.VolumeClaimTemplates {
			volumes[c.Name] = true
		}
	}
	names := map[string]bool{}
	all := make([]struct {
		c    *corev1.Container
		init bool
	}, 0)
	for i := range spec.InitContainers {
		all = append(all, struct {
			c    *corev1.Container
			init bool
		}{&spec.InitContainers[i], true})
	}
	for i := range spec.Containers {
		all = append(all, struct {
			c    *corev1.Container
			init bool
		}{&spec.Containers[i], false})
	}
	for _, e := range all {
		c := e.c
		where := fmt.Sprintf("container %q", c.Name)
		if e.init {
			where = fmt.Sprintf("init container %q", c.Name)
		}
		if c.Name == "" {
			o.fail("%s: a container has no name", path)
		} else if errs := validation.IsDNS1123Label(c.Name); len(errs) > 0 {
			o.fail("%s: name: %s", where, strings.Join(errs, "; "))
		}
		if names[c.Name] {
			o.fail("%s: duplicate container name", where)
		}
		names[c.Name] = true
		if c.Image == "" {
			o.fail("%s: no image", where)
		}
		checkResources(o, where, c.Resources)
		checkContainerSecurity(o, where, spec.SecurityContext, c.SecurityContext)
		ports := map[string]int32{}
		for _, p := range c.Ports {
			if p.ContainerPort < 1 || p.ContainerPort > 65535 {
				o.fail("%s: containerPort %d out of range", where, p.ContainerPort)
			}
			if p.Name != "" {
				if errs := validation.IsValidPortName(p.Name); len(errs) > 0 {
					o.fail("%s: port name %q: %s", where, p.Name, strings.Join(errs, "; "))
				}
				ports[p.Name] = p.ContainerPort
			}
		}
		if !e.init {
			probes := []struct {
				name string
				p    *corev1.Probe
				req  bool
			}{{"livenessProbe", c.LivenessProbe, needProbes}, {"readinessProbe", c.ReadinessProbe, needProbes}, {"startupProbe", c.StartupProbe, false}}
			for _, pr := range probes {
				if pr.p == nil {
					if pr.req {
						o.fail("%s: no %s", where, pr.name)
					}
					continue
				}
				checkProbe(o, where+": "+pr.name, pr.p, c, ports)
			}
			checkPortFlag(o, where, c)
		}
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				o.fail("%s: volumeMount %q has no volume of that name", where, m.Name)
			}
		}
		for _, ef := range c.EnvFrom {
			if ef.ConfigMapRef != nil && (ef.ConfigMapRef.Optional == nil || !*ef.ConfigMapRef.Optional) && ix.get("ConfigMap", o.ns, ef.ConfigMapRef.Name) == nil {
				o.fail("%s: envFrom ConfigMap %q is not in this render", where, ef.ConfigMapRef.Name)
			}
		}
		for _, ev := range c.Env {
			if ev.Value != "" && ev.ValueFrom != nil {
				o.fail("%s: env %s has both value and valueFrom", where, ev.Name)
			}
			if ev.Value != "" && secretName.MatchString(ev.Name) && !strings.HasPrefix(ev.Value, "$(") {
				o.fail("%s: env %s has a literal value: reference a Secret (valueFrom.secretKeyRef) instead", where, ev.Name)
			}
			if ev.ValueFrom != nil {
				if r := ev.ValueFrom.ConfigMapKeyRef; r != nil && (r.Optional == nil || !*r.Optional) {
					if cm := ix.get("ConfigMap", o.ns, r.Name); cm == nil {
						o.fail("%s: env %s: ConfigMap %q is not in this render", where, ev.Name, r.Name)
					} else if t, ok := cm.typed.(*corev1.ConfigMap); ok {
						if _, has := t.Data[r.Key]; !has {
							o.fail("%s: env %s: ConfigMap %q has no key %q", where, ev.Name, r.Name, r.Key)
						}
					}
				}
				if r := ev.ValueFrom.SecretKeyRef; r != nil && (r.Name == "" || r.Key == "") {
					o.fail("%s: env %s: secretKeyRef needs name and key", where, ev.Name)
				}
			}
		}
	}
}

var cpuMem = []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory}

func checkResources(o *object, where string, r corev1.ResourceRequirements) {
	for _, n := range cpuMem {
		if _, ok := r.Requests[n]; !ok {
			o.fail("%s: no resources.requests.%s", where, n)
		}
		if _, ok := r.Limits[n]; !ok {
			o.fail("%s: no resources.limits.%s", where, n)
		}
	}
	for n, req := range r.Requests {
		lim, ok := r.Limits[n]
		if req.Sign() < 0 {
			o.fail("%s: resources.requests.%s is negative", where, n)
		}
		if isExtended(n) {
			if !ok || req.Cmp(lim) != 0 {
				o.fail("%s: %s is an extended resource: requests (%s) must equal limits (%s)", where, n, req.String(), qty(lim, ok))
			}
			continue
		}
		if ok && req.Cmp(lim) > 0 {
			o.fail("%s: resources.requests.%s (%s) is above the limit (%s)", where, n, req.String(), lim.String())
		}
	}
	// A limit without a request on an extended resource is accepted: the API server defaults the request.
}

func qty(q resource.Quantity, ok bool) string {
	if !ok {
		return "none"
	}
	return q.String()
}

func isExtended(n corev1.ResourceName) bool {
	s := string(n)
	return strings.Contains(s, "/") && !strings.HasPrefix(s, "kubernetes.io/") && !strings.HasPrefix(s, "requests.")
}

// checkContainerSecurity: non-root and the rest of the restricted Pod Security profile, which the
// dsmath namespace enforces (the API server would reject the pods otherwise).
func checkContainerSecurity(o *object, where string, pod *corev1.PodSecurityContext, c *corev1.SecurityContext) {
	nonRoot := pod != nil && pod.RunAsNonRoot != nil && *pod.RunAsNonRoot
	if c != nil && c.RunAsNonRoot != nil {
		nonRoot = *c.RunAsNonRoot
	}
	var uid *int64
	if pod != nil && pod.RunAsUser != nil {
		uid = pod.RunAsUser
	}
	if c != nil && c.RunAsUser != nil {
		uid = c.RunAsUser
	}
	if uid != nil && *uid == 0 {
		o.fail("%s: runs as root (runAsUser 0)", where)
	} else if !nonRoot {
		o.fail("%s: runAsNonRoot is not true (set it in the pod or container securityContext)", where)
	}
	if c == nil {
		o.fail("%s: no securityContext (needs allowPrivilegeEscalation: false, capabilities.drop [ALL])", where)
		return
	}
	if c.Privileged != nil && *c.Privileged {
		o.fail("%s: privileged", where)
	}
	if c.AllowPrivilegeEscalation == nil || *c.AllowPrivilegeEscalation {
		o.fail("%s: securityContext.allowPrivilegeEscalation must be false", where)
	}
	dropsAll := false
	if c.Capabilities != nil {
		for _, d := range c.Capabilities.Drop {
			if d == "ALL" {
				dropsAll = true
			}
		}
		for _, a := range c.Capabilities.Add {
			if a != "NET_BIND_SERVICE" {
				o.fail("%s: adds capability %s", where, a)
			}
		}
	}
	if !dropsAll {
		o.fail("%s: securityContext.capabilities.drop must include ALL", where)
	}
	seccomp := pod != nil && pod.SeccompProfile != nil && pod.SeccompProfile.Type != corev1.SeccompProfileTypeUnconfined
	if c.SeccompProfile != nil {
		seccomp = c.SeccompProfile.Type != corev1.SeccompProfileTypeUnconfined
	}
	if !seccomp {
		o.fail("%s: no seccompProfile (RuntimeDefault) in the pod or container securityContext", where)
	}
	if c.ReadOnlyRootFilesystem == nil || !*c.ReadOnlyRootFilesystem {
		o.warn("%s: root filesystem is writable (readOnlyRootFilesystem is not true)", where)
	}
}

func checkProbe(o *object, where string, p *corev1.Probe, c *corev1.Container, ports map[string]int32) {
	n := 0
	declared := func(port int32) bool {
		for _, cp := range c.Ports {
			if cp.ContainerPort == port {
				return true
			}
		}
		return false
	}
	if p.Exec != nil {
		n++
		if len(p.Exec.Command) == 0 {
			o.fail("%s: exec.command is empty", where)
		}
	}
	if p.GRPC != nil {
		n++
		if !declared(p.GRPC.Port) {
			o.fail("%s: grpc.port %d is not a port the container declares", where, p.GRPC.Port)
		}
	}
	for _, pp := range []struct {
		kind string
		set  bool
		port func() (int32, string)
	}{
		{"httpGet", p.HTTPGet != nil, func() (int32, string) { return p.HTTPGet.Port.IntVal, p.HTTPGet.Port.StrVal }},
		{"tcpSocket", p.TCPSocket != nil, func() (int32, string) { return p.TCPSocket.Port.IntVal, p.TCPSocket.Port.StrVal }},
	} {
		if !pp.set {
			continue
		}
		n++
		num, named := pp.port()
		if named != "" {
			if _, ok := ports[named]; !ok {
				o.fail("%s: %s.port %q is not a named port of the container", where, pp.kind, named)
			}
		} else if !declared(num) {
			o.fail("%s: %s.port %d is not a port the container declares", where, pp.kind, num)
		}
	}
	if n != 1 {
		o.fail("%s: needs exactly one handler (exec, grpc, httpGet or tcpSocket), has %d", where, n)
	}
	if p.TimeoutSeconds < 0 || p.PeriodSeconds < 0 || p.FailureThreshold < 0 || p.InitialDelaySeconds < 0 {
		o.fail("%s: negative timing", where)
	}
}

// checkPortFlag: a --port N in the args must be a port the container declares (the probes use it).
func checkPortFlag(o *object, where string, c *corev1.Container) {
	args := append(append([]string{}, c.Command...), c.Args...)
	for i, a := range args {
		val := ""
		if a == "--port" && i+1 < len(args) {
			val = args[i+1]
		} else if strings.HasPrefix(a, "--port=") {
			val = strings.TrimPrefix(a, "--port=")
		}
		if val == "" || strings.HasPrefix(val, "$(") {
			continue
		}
		var port int32
		if _, err := fmt.Sscanf(val, "%d", &port); err != nil {
			o.fail("%s: --port %q is not a number", where, val)
			continue
		}
		found := false
		for _, cp := range c.Ports {
			found = found || cp.ContainerPort == port
		}
		if !found {
			o.fail("%s: listens on --port %d but declares no such containerPort", where, port)
		}
	}
}

// podTemplates: every pod template in the render, with the object it belongs to.
func podTemplates(ix index) []struct {
	o   *object
	tpl *corev1.PodTemplateSpec
} {
	var out []struct {
		o   *object
		tpl *corev1.PodTemplateSpec
	}
	add := func(o *object, t *corev1.PodTemplateSpec) {
		out = append(out, struct {
			o   *object
			tpl *corev1.PodTemplateSpec
		}{o, t})
	}
	kinds := make([]string, 0, len(ix.byKind))
	for k := range ix.byKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		for _, o := range ix.byKind[k] {
			switch t := o.typed.(type) {
			case *appsv1.Deployment:
				add(o, &t.Spec.Template)
			case *appsv1.StatefulSet:
				add(o, &t.Spec.Template)
			case *appsv1.DaemonSet:
				add(o, &t.Spec.Template)
			case *batchv1.Job:
				add(o, &t.Spec.Template)
			case nil:
				// Failed to decode (already reported): keep its labels so selectors still find it,
				// with no containers (port checks against it are skipped).
				var partial struct {
					Spec struct {
						Template struct {
							Metadata struct {
								Labels map[string]string `json:"labels"`
							} `json:"metadata"`
						} `json:"template"`
					} `json:"spec"`
				}
				if json.Unmarshal(o.raw, &partial) == nil || partial.Spec.Template.Metadata.Labels != nil {
					tpl := &corev1.PodTemplateSpec{}
					tpl.Labels = partial.Spec.Template.Metadata.Labels
					add(o, tpl)
				}
			}
		}
	}
	return out
}

func checkService(o *object, ix index, s *corev1.Service) {
	if len(s.Spec.Selector) == 0 {
		return // an ExternalName or manually managed Service
	}
	sel := labels.SelectorFromSet(s.Spec.Selector)
	matched := false
	for _, pt := range podTemplates(ix) {
		if pt.o.ns != o.ns || !sel.Matches(labels.Set(pt.tpl.Labels)) {
			continue
		}
		matched = true
		for _, sp := range s.Spec.Ports {
			if sp.TargetPort.StrVal == "" || pt.o.typed == nil {
				continue
			}
			found := false
			for _, c := range pt.tpl.Spec.Containers {
				for _, cp := range c.Ports {
					found = found || cp.Name == sp.TargetPort.StrVal
				}
			}
			if !found {
				o.fail("port %q: targetPort %q is not a named port of %s", sp.Name, sp.TargetPort.StrVal, pt.o.id())
			}
		}
	}
	if !matched {
		o.fail("spec.selector %s matches no pod template in this render", sel)
	}
}

func checkPDB(o *object, ix index, p *policyv1.PodDisruptionBudget) {
	if (p.Spec.MinAvailable == nil) == (p.Spec.MaxUnavailable == nil) {
		o.fail("spec needs exactly one of minAvailable and maxUnavailable")
	}
	if p.Spec.Selector == nil {
		o.fail("spec.selector is empty")
		return
	}
	sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
	if err != nil {
		o.fail("spec.selector: %v", err)
		return
	}
	for _, pt := range podTemplates(ix) {
		if pt.o.ns == o.ns && sel.Matches(labels.Set(pt.tpl.Labels)) {
			return
		}
	}
	o.fail("spec.selector %s matches no pod template in this render", sel)
}
