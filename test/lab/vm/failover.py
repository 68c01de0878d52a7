#!/usr/bin/python3
"""A stream of frames through a bond, one member taken down mid-stream (lab VM only).

Reads JSON on stdin:
  {"from": {"netns": "tbvf0", "ifname": "vf0"},
   "members": {"m0": {"netns": "tbsw0", "ifname": "sw"}, "m1": {...}},
   "frames": ["hex", ...],      # one per flow; each holds b"NVSM" + 2 bytes for the number
   "interval_ms": 2, "before_ms": 400, "after_ms": 1200,
   "down": "ip link set tblag0 down",   # run (in the root namespace) after before_ms
   "watch": "tblag0"}                   # root-namespace netdev whose link-down marks t_down
and writes JSON on stdout:
  {"sent": N, "t_down_source": "netlink" | "command",
   "before": {"m0": n, "m1": n}, "after": {...},     # arrivals of frames sent before/after
   "failover_ms": x | null,  # t_down -> first frame on another member of a flow that the
                             # failed member carried before (the issue's failover time)
   "lost": n,                # frames sent that arrived nowhere
   "lost_after_down": n}     # of those, sent after t_down (the failover window)

t_down is when the kernel announced the member's link down (RTM_NEWLINK without
IFF_LOWER_UP, read on an rtnetlink socket in this process), not when the command was
started, so the figure is the bond's failover and not the `ip` spawn under emulation.
"""
import errno
import json
import os
import select
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rawframes import MARK, open_port  # noqa: E402

RTMGRP_LINK = 1
SO_RCVBUFFORCE = 33
RTM_NEWLINK = 16
IFF_LOWER_UP = 0x10000


def recv(s):
    """One datagram, or None when there is none (or the port's link went down: ENETDOWN)."""
    try:
        return s.recv(65535)
    except BlockingIOError:
        return None
    except OSError as e:
        if e.errno == errno.ENETDOWN:
            return None
        raise


def link_socket():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    s.bind((0, RTMGRP_LINK))
    s.setblocking(False)
    return s


def link_down(data, ifindex):
    """Whether this rtnetlink datagram says ifindex lost its lower link."""
    off = 0
    while off + 32 <= len(data):
        length, kind = struct.unpack_from("=IH", data, off)
        if length < 16:
            return False
        if kind == RTM_NEWLINK:
            _, _, _, index, flags, _ = struct.unpack_from("=BBHiII", data, off + 16)
            if index == ifindex and not flags & IFF_LOWER_UP:
                return True
        off += (length + 3) & ~3
    return False


def main():
    spec = json.load(sys.stdin)
    tx = open_port(spec["from"].get("netns"), spec["from"]["ifname"])
    rx = {n: open_port(p.get("netns"), p["ifname"]) for n, p in spec["members"].items()}
    for s in rx.values():
        # Under emulation this loop can fall behind: a small buffer would drop what the
        # bond delivered and count it as lost.
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
    by_fd = {s.fileno(): n for n, s in rx.items()}
    nl = link_socket()
    with open(f"/sys/class/net/{spec['watch']}/ifindex") as f:
        watch = int(f.read())
    templates = [bytearray.fromhex(h) for h in spec["frames"]]
    at = [t.find(MARK) + len(MARK) for t in templates]
    interval = spec["interval_ms"] / 1000
    sent_at = []  # seq -> send time
    arrivals = []  # (seq, member, time)
    t_down = None
    t_cmd = None
    start = time.monotonic()
    stop = start + (spec["before_ms"] + spec["after_ms"]) / 1000
    next_send = start
    proc = None
    while True:
        now = time.monotonic()
        if now >= stop:
            break
        if proc is None and now >= start + spec["before_ms"] / 1000:
            t_cmd = time.monotonic()
            proc = subprocess.Popen(["/bin/sh", "-c", spec["down"]])
        if now - next_send > interval:
            next_send = now  # fell behind: no catch-up burst, the stream stays even
        if now >= next_send and len(sent_at) < 65536:
            seq = len(sent_at)
            k = seq % len(templates)
            frame = templates[k]
            struct.pack_into("!H", frame, at[k], seq)
            tx.send(bytes(frame))
            sent_at.append(time.monotonic())
            next_send += interval
        wait = max(0.0, min(next_send, stop) - time.monotonic())
        ready, _, _ = select.select([nl, *rx.values()], [], [], wait)
        for s in ready:
            while True:
                data = recv(s)
                if data is None:
                    break
                t = time.monotonic()
                if s is nl:
                    if t_down is None and link_down(data, watch):
                        t_down = t
                    continue
                i = data.find(MARK)
                if i >= 0 and i + 6 <= len(data):
                    seq = struct.unpack_from("!H", data, i + 4)[0]
                    arrivals.append((seq, by_fd[s.fileno()], t))
    end = time.monotonic() + 0.3
    while time.monotonic() < end:
        ready, _, _ = select.select(list(rx.values()), [], [], 0.05)
        for s in ready:
            data = recv(s)
            if data is None:
                continue
            i = data.find(MARK)
            if i >= 0 and i + 6 <= len(data):
                seq = struct.unpack_from("!H", data, i + 4)[0]
                arrivals.append((seq, by_fd[s.fileno()], time.monotonic()))
    if proc is not None:
        proc.wait()
    source = "netlink" if t_down is not None else "command"
    if t_down is None:
        t_down = t_cmd
    names = list(spec["members"])
    before = {n: 0 for n in names}
    after = {n: 0 for n in names}
    carried = {n: set() for n in names}  # flows each member carried before the down
    got = set()
    for seq, member, _ in arrivals:
        got.add(seq)
        if sent_at[seq] < t_down:
            before[member] += 1
            carried[member].add(seq % len(templates))
        else:
            after[member] += 1
    failed = [n for n in names if carried[n]]
    failover = None
    for seq, member, t in sorted(arrivals, key=lambda a: a[2]):
        if t < t_down or sent_at[seq] < t_down:
            continue
        flow = seq % len(templates)
        if any(flow in carried[n] for n in names if n != member and n in failed):
            failover = (t - t_down) * 1000
            break
    json.dump(
        {
            "sent": len(sent_at),
            "t_down_source": source,
            "before": before,
            "after": after,
            "failover_ms": failover,
            "lost": len(sent_at) - len(got),
            "lost_after_down": sum(1 for q, t in enumerate(sent_at) if t >= t_down and q not in got),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
