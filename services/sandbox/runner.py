"""Runs one untrusted Python program (program-of-thought / tool-integrated model output) in a sandbox.

Started by src/sandbox/sandbox.ts as its own process (own session and process group, scrubbed environment,
cwd = the scratch directory), with the program on stdin. Before the program runs, this process locks itself
down with what the Linux kernel enforces without any helper binary; each layer is applied or reported as not
available, never silently skipped (the layers applied are printed in the report):

1. rlimits: address space (memory), CPU seconds, file size, open files, no core dumps, and processes
   (RLIMIT_NPROC, which binds once the uid is not root).
2. Privileges: when started as root, the process drops to nobody (uid/gid 65534, no supplementary groups)
   after chowning the scratch directory to it; then no_new_privs.
3. Network namespace: unshare(CLONE_NEWNET) (as root, or inside a new user namespace otherwise): the program
   sees only a down loopback interface, so no address is reachable.
4. Landlock (Linux >= 5.13): every kind of filesystem write (write, truncate, create, remove, rename/link,
   mknod, device ioctl) is refused outside the scratch directory; reads are allowed only under the Python
   installation, the system library directories, /etc and /dev/null etc. (not the service's working tree or
   home); TCP bind/connect are refused (ABI >= 4); signals to and abstract unix sockets of processes outside
   the sandbox are refused (ABI >= 6).
5. seccomp-bpf: socket(), socketpair(), fork()/vfork(), clone() without CLONE_THREAD, clone3 (ENOSYS so libc
   falls back to clone), execve/execveat, ptrace, unshare/setns/mount/chroot, bpf, perf_event_open,
   io_uring, keyctl, userfaultfd return EPERM. So the program can neither open a socket of any family nor
   start another process (a fork bomb gets EPERM on its first fork).

Wall-clock time and output size are enforced by the parent, which SIGKILLs the whole process group.

The first line written to fd 3 (a pipe the parent reads), before the program runs, is a JSON report of the
layers applied; the last line adds what ended the program. The program can write to fd 3 too, so the parent
trusts the first line only and reads the last as a hint. The last line has the layers applied and the
attempts the program made that the sandbox refused, as seen by a Python audit hook (best effort, for the
report only: enforcement is the kernel's, above).
"""
from __future__ import annotations

import ctypes
import errno
import json
import os
import resource
import signal
import struct
import sys
import traceback

# -- the parent passes limits as argv: runner.py SCRATCH MEM_BYTES CPU_SECONDS FSIZE_BYTES NPROC --

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
REPORT_FD = 3
applied: dict[str, object] = {}
refused: list[dict] = []


def report(extra: dict | None = None) -> None:
    try:
        os.write(REPORT_FD, (json.dumps({'applied': applied, 'refused': refused[:50], **(extra or {})}) + '\n').encode())
    except OSError:
        pass


def fail(msg: str) -> None:
    """A layer that must be there is not: refuse to run the program at all."""
    report({'setup_error': msg})
    sys.stderr.write(f'sandbox: {msg}\n')
    os._exit(70)


# ---------------------------------------------------------------------------------------------- rlimits

def set_rlimits(mem: int, cpu: int, fsize: int, nproc: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))  # SIGXCPU at cpu s, SIGKILL at cpu + 1
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    resource.setrlimit(resource.RLIMIT_MEMLOCK, (0, 0))
    applied['rlimits'] = {'as_bytes': mem, 'cpu_s': cpu, 'fsize_bytes': fsize, 'nofile': 64, 'nproc': nproc}


# ------------------------------------------------------------------------------------------- namespaces

CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000


def unshare_network() -> None:
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(CLONE_NEWNET) == 0:
        applied['netns'] = 'unshare(CLONE_NEWNET)'
        return
    # Unprivileged: a user namespace first (mapping our own ids), then the network namespace.
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0:
        try:
            with open('/proc/self/setgroups', 'w') as f:
                f.write('deny')
            with open('/proc/self/uid_map', 'w') as f:
                f.write(f'{uid} {uid} 1')
            with open('/proc/self/gid_map', 'w') as f:
                f.write(f'{gid} {gid} 1')
        except OSError:
            pass
        applied['netns'] = 'unshare(CLONE_NEWUSER|CLONE_NEWNET)'
        return
    applied['netns'] = f'unavailable ({os.strerror(ctypes.get_errno())})'


def readable_by_others(path: str) -> bool:
    """Whether a process of another uid could reach and read `path` (o+x on every ancestor, o+r on it)."""
    p = os.path.realpath(path)
    parts = p.split(os.sep)
    for i in range(2, len(parts) + 1):
        anc = os.sep.join(parts[:i]) or os.sep
        if not os.stat(anc).st_mode & 0o001:
            return False
    return bool(os.stat(p).st_mode & 0o004)


PR_SET_KEEPCAPS, CAP_DAC_READ_SEARCH, LINUX_CAPABILITY_VERSION_3 = 8, 2, 0x20080522


def capset(caps: int) -> None:
    header = struct.pack('=Ii', LINUX_CAPABILITY_VERSION_3, 0)
    data = struct.pack('=IIIIII', caps, caps, 0, 0, 0, 0)  # effective, permitted, inheritable (x2 words)
    if libc.capset(ctypes.create_string_buffer(header, 8), ctypes.create_string_buffer(data, 24)) != 0:
        fail(f'capset: {os.strerror(ctypes.get_errno())}')


def drop_privileges(scratch: str) -> None:
    """As root: become nobody. When the interpreter lives where nobody cannot read it (e.g. a pyenv under
    /root), nobody keeps exactly one capability, CAP_DAC_READ_SEARCH, so it can import the standard library;
    Landlock below still confines reads to the interpreter's directories, and open_by_handle_at (the way that
    capability reaches files by handle) is refused by seccomp."""
    if os.getuid() != 0:
        applied['uid'] = os.getuid()
        return
    nobody = 65534
    for root, dirs, files in os.walk(scratch):
        for n in [root, *(os.path.join(root, d) for d in dirs), *(os.path.join(root, f) for f in files)]:
            os.chown(n, nobody, nobody)
    keep = 0 if all(readable_by_others(p) for p in (sys.base_prefix, sys.prefix)) else 1 << CAP_DAC_READ_SEARCH
    if keep:
        libc.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)
    os.setgroups([])
    os.setgid(nobody)
    os.setuid(nobody)
    if os.getuid() != nobody or os.geteuid() != nobody:
        fail('could not drop root')
    capset(keep)
    applied['uid'] = nobody
    applied['capabilities'] = ['CAP_DAC_READ_SEARCH'] if keep else []


# --------------------------------------------------------------------------------------------- Landlock

SYS_landlock_create_ruleset, SYS_landlock_add_rule, SYS_landlock_restrict_self = 444, 445, 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
FS = dict(EXECUTE=1 << 0, WRITE_FILE=1 << 1, READ_FILE=1 << 2, READ_DIR=1 << 3, REMOVE_DIR=1 << 4,
          REMOVE_FILE=1 << 5, MAKE_CHAR=1 << 6, MAKE_DIR=1 << 7, MAKE_REG=1 << 8, MAKE_SOCK=1 << 9,
          MAKE_FIFO=1 << 10, MAKE_BLOCK=1 << 11, MAKE_SYM=1 << 12, REFER=1 << 13, TRUNCATE=1 << 14,
          IOCTL_DEV=1 << 15)
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1


def fs_access_for_abi(abi: int) -> int:
    acc = (1 << 13) - 1  # EXECUTE .. MAKE_SYM (ABI 1)
    if abi >= 2:
        acc |= FS['REFER']
    if abi >= 3:
        acc |= FS['TRUNCATE']
    if abi >= 5:
        acc |= FS['IOCTL_DEV']
    return acc


def read_paths() -> list[str]:
    """What the program may read (and execute, e.g. shared libraries): the interpreter and its libraries."""
    paths = {sys.base_prefix, sys.prefix, '/usr/lib', '/usr/lib64', '/lib', '/lib64', '/usr/share/zoneinfo',
             '/etc/ld.so.cache', '/etc/localtime', '/dev/null', '/dev/urandom', '/proc/self'}
    paths |= {p for p in sys.path if p and os.path.isabs(p)}
    return sorted(p for p in paths if os.path.exists(p))


def landlock(scratch: str) -> None:
    abi = libc.syscall(SYS_landlock_create_ruleset, None, ctypes.c_size_t(0), ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    if abi < 1:
        why = os.strerror(ctypes.get_errno())
        if applied.get('capabilities'):  # root dropped to nobody but kept CAP_DAC_READ_SEARCH: it could read anything
            fail(f'Landlock unavailable ({why}) while the dropped uid keeps CAP_DAC_READ_SEARCH')
        applied['landlock'] = f'unavailable ({why})'
        return
    handled_fs = fs_access_for_abi(abi)
    handled_net = (NET_BIND_TCP | NET_CONNECT_TCP) if abi >= 4 else 0
    scoped = (SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL) if abi >= 6 else 0
    attr = struct.pack('=QQQ', handled_fs, handled_net, scoped)
    size = 8 if abi < 4 else (16 if abi < 6 else 24)
    buf = ctypes.create_string_buffer(attr[:size], size)
    fd = libc.syscall(SYS_landlock_create_ruleset, buf, ctypes.c_size_t(size), ctypes.c_uint32(0))
    if fd < 0:
        fail(f'landlock_create_ruleset: {os.strerror(ctypes.get_errno())}')
    read_access = FS['EXECUTE'] | FS['READ_FILE'] | FS['READ_DIR']

    def allow(path: str, access: int) -> None:
        pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        try:
            if not os.path.isdir(path):  # files accept only file rights
                access &= FS['EXECUTE'] | FS['READ_FILE'] | FS['WRITE_FILE'] | FS['TRUNCATE'] | FS['IOCTL_DEV']
            rule = struct.pack('=Qi', access & handled_fs, pfd)  # struct landlock_path_beneath_attr is packed
            rb = ctypes.create_string_buffer(rule, len(rule))
            if libc.syscall(SYS_landlock_add_rule, fd, LANDLOCK_RULE_PATH_BENEATH, rb, ctypes.c_uint32(0)) != 0:
                fail(f'landlock_add_rule {path}: {os.strerror(ctypes.get_errno())}')
        finally:
            os.close(pfd)

    readable = read_paths()
    for p in readable:
        allow(p, read_access)
    allow(scratch, handled_fs)  # everything, beneath the scratch directory only
    if libc.syscall(SYS_landlock_restrict_self, fd, ctypes.c_uint32(0)) != 0:
        fail(f'landlock_restrict_self: {os.strerror(ctypes.get_errno())}')
    os.close(fd)
    applied['landlock'] = {'abi': abi, 'writable': [scratch], 'readable': readable,
                           'tcp': 'denied' if handled_net else 'not handled (ABI < 4)',
                           'scoped': 'signals, abstract unix sockets' if scoped else 'no (ABI < 6)'}


# ---------------------------------------------------------------------------------------------- seccomp

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
AUDIT_ARCH_X86_64, AUDIT_ARCH_AARCH64 = 0xC000003E, 0xC00000B7
SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS = 0x7FFF0000, 0x00050000, 0x80000000
CLONE_THREAD = 0x00010000
BPF_LD_W_ABS, BPF_JEQ_K, BPF_JSET_K, BPF_RET_K = 0x20, 0x15, 0x45, 0x06

# Refused system calls by architecture (name -> number); clone is handled apart (threads are allowed).
SYSCALLS = {
    'x86_64': dict(socket=41, socketpair=53, fork=57, vfork=58, execve=59, execveat=322, ptrace=101,
                   unshare=272, setns=308, mount=165, umount2=166, chroot=161, pivot_root=155, bpf=321,
                   perf_event_open=298, io_uring_setup=425, io_uring_enter=426, io_uring_register=427,
                   keyctl=250, add_key=248, request_key=249, userfaultfd=323, process_vm_writev=311,
                   open_by_handle_at=304, name_to_handle_at=303,
                   clone=56, clone3=435),
    'aarch64': dict(socket=198, socketpair=199, execve=221, execveat=281, ptrace=117, unshare=97, setns=268,
                    mount=40, umount2=39, chroot=51, pivot_root=41, bpf=280, perf_event_open=241,
                    io_uring_setup=425, io_uring_enter=426, io_uring_register=427, keyctl=219, add_key=217,
                    request_key=218, userfaultfd=282, process_vm_writev=271,
                    open_by_handle_at=265, name_to_handle_at=264, clone=220, clone3=435),
}


def seccomp() -> None:
    machine = os.uname().machine
    table = SYSCALLS.get(machine)
    if table is None:
        applied['seccomp'] = f'unavailable (no syscall table for {machine})'
        return
    arch = AUDIT_ARCH_X86_64 if machine == 'x86_64' else AUDIT_ARCH_AARCH64
    eperm = SECCOMP_RET_ERRNO | errno.EPERM
    enosys = SECCOMP_RET_ERRNO | errno.ENOSYS
    prog: list[tuple[int, int, int, int]] = []
    ins = lambda code, jt, jf, k: prog.append((code, jt, jf, k))  # noqa: E731
    ins(BPF_LD_W_ABS, 0, 0, 4)                  # seccomp_data.arch
    ins(BPF_JEQ_K, 1, 0, arch)
    ins(BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS)  # another ABI (e.g. x32 / 32-bit): kill
    ins(BPF_LD_W_ABS, 0, 0, 0)                  # seccomp_data.nr
    if machine == 'x86_64':
        ins(0x35, 0, 1, 0x40000000)             # jge: x32 syscall numbers -> kill
        ins(BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS)
    denied = {k: v for k, v in table.items() if k not in ('clone', 'clone3')}
    for nr in denied.values():
        ins(BPF_JEQ_K, 0, 1, nr)
        ins(BPF_RET_K, 0, 0, eperm)
    ins(BPF_JEQ_K, 0, 1, table['clone3'])
    ins(BPF_RET_K, 0, 0, enosys)                # libc falls back to clone(), whose flags we can see
    ins(BPF_JEQ_K, 0, 4, table['clone'])
    ins(BPF_LD_W_ABS, 0, 0, 16)                 # args[0] (flags), low 32 bits
    ins(BPF_JSET_K, 1, 0, CLONE_THREAD)
    ins(BPF_RET_K, 0, 0, eperm)                 # a new process: refused
    ins(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW)     # a thread of this process
    ins(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW)
    raw = b''.join(struct.pack('=HBBI', *p) for p in prog)
    filt = ctypes.create_string_buffer(raw, len(raw))

    class SockFprog(ctypes.Structure):
        _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.c_void_p)]

    fprog = SockFprog(len(prog), ctypes.addressof(filt))
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        fail(f'seccomp: {os.strerror(ctypes.get_errno())}')
    applied['seccomp'] = {'refused': sorted(denied) + ['clone (new process)', 'clone3 (ENOSYS)']}


# ------------------------------------------------------------------------------------- reporting (only)

def audit(event: str, args: tuple) -> None:
    try:
        if event == 'socket.__new__' or event == 'socket.connect':
            refused.append({'kind': 'network', 'event': event, 'detail': repr(args[1:])[:200]})
        elif event in ('os.fork', 'os.forkpty', 'os.system', 'os.exec', 'os.posix_spawn', 'os.spawn', 'subprocess.Popen'):
            refused.append({'kind': 'process', 'event': event, 'detail': repr(args)[:200]})
        elif event == 'open' and args[0] is not None and isinstance(args[0], (str, bytes)):
            mode, flags = args[1], args[2] if len(args) > 2 else 0
            writing = (isinstance(mode, str) and any(c in mode for c in 'wax+')) or (flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC))
            path = os.fsdecode(args[0])
            full = os.path.realpath(path)
            if writing and not (full == SCRATCH or full.startswith(SCRATCH + os.sep)):
                refused.append({'kind': 'write_outside_scratch', 'event': event, 'detail': path[:200]})
    except Exception:  # never let the reporting hook break the program
        pass


SCRATCH = ''


def main() -> None:
    global SCRATCH
    if len(sys.argv) != 6:
        fail('usage: runner.py SCRATCH MEM_BYTES CPU_SECONDS FSIZE_BYTES NPROC')
    SCRATCH = os.path.realpath(sys.argv[1])
    mem, cpu, fsize, nproc = (int(x) for x in sys.argv[2:])
    source = sys.stdin.buffer.read()  # read the program before anything is locked down
    os.close(0)
    os.open('/dev/null', os.O_RDONLY)
    os.chdir(SCRATCH)
    unshare_network()
    drop_privileges(SCRATCH)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:  # required for Landlock and seccomp without root
        fail('no_new_privs')
    applied['no_new_privs'] = True
    landlock(SCRATCH)
    set_rlimits(mem, cpu, fsize, nproc)
    seccomp()
    sys.addaudithook(audit)
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)
    code = compile(source, '<program>', 'exec')
    report()  # the first line: the layers applied, written before the program can write to fd 3 itself
    glb = {'__name__': '__main__', '__builtins__': __builtins__}
    status = 0
    try:
        exec(code, glb)
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except MemoryError:
        report({'error': 'MemoryError'})
        sys.stderr.write('MemoryError\n')
        os._exit(137)
    except BaseException as e:  # the program's own exception: its traceback on stderr, as python would print
        traceback.print_exc()
        report({'error': type(e).__name__})
        sys.stdout.flush()
        os._exit(1)
    sys.stdout.flush()
    sys.stderr.flush()
    report()
    os._exit(status)


if __name__ == '__main__':
    main()
