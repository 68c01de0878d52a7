#!/usr/bin/python3
"""Send raw Ethernet frames from netdevs and report where they arrive (lab VM only).

Reads JSON on stdin:
  {"ports": {"vf0": {"netns": "a", "ifname": "eth1"}, "host": {"netns": null, ...}},
   "frames": [{"id": 1, "from": "vf0", "hex": "0200..."}]}
and writes JSON on stdout: {"arrivals": [{"id": 1, "port": "host", "hex": "..."}]}.

A frame is recognised by the marker b"NVSM" followed by its 16-bit id in its payload. One
AF_PACKET socket per port is opened inside that port's network namespace (setns), with
PACKET_AUXDATA so that a VLAN tag the NIC stripped into the descriptor is put back, as
libpcap does; frames the port itself sent (PACKET_OUTGOING) are left out.

Python rather than Node: Node has no AF_PACKET sockets, and Python's standard library has
them with recvmsg ancillary data and ctypes for setns.
"""
import ctypes
import json
import os
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_OUTGOING = 4
TP_STATUS_VLAN_VALID = 0x10
TP_STATUS_VLAN_TPID_VALID = 0x40
CLONE_NEWNET = 0x40000000
MARK = b"NVSM"
AUX = struct.Struct("IIIHHHH")

libc = ctypes.CDLL(None, use_errno=True)


def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns failed")


def open_port(netns, ifname):
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{netns}", os.O_RDONLY) if netns else None
    try:
        if target is not None:
            setns(target)
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        s.bind((ifname, 0))
        s.setblocking(False)
        return s
    finally:
        if target is not None:
            setns(own)
            os.close(target)
        os.close(own)


def with_tag(data, ancdata):
    """The frame as it was on the wire: the stripped VLAN tag (if any) back after the MACs."""
    for level, kind, raw in ancdata:
        if level != SOL_PACKET or kind != PACKET_AUXDATA or len(raw) < AUX.size:
            continue
        status, _, _, _, _, tci, tpid = AUX.unpack(raw[: AUX.size])
        if status & TP_STATUS_VLAN_VALID:
            if not status & TP_STATUS_VLAN_TPID_VALID:
                tpid = 0x8100
            return data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
    return data


def drain(socks, out, quiet_s):
    """Read every socket until none has had anything for quiet_s seconds."""
    by_fd = {s.fileno(): name for name, s in socks.items()}
    while True:
        ready, _, _ = select.select(list(socks.values()), [], [], quiet_s)
        if not ready:
            return
        for s in ready:
            while True:
                try:
                    data, anc, _, addr = s.recvmsg(65535, socket.CMSG_SPACE(AUX.size))
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue
                at = data.find(MARK)
                if at < 0 or at + 6 > len(data):
                    continue
                fid = struct.unpack("!H", data[at + 4 : at + 6])[0]
                frame = with_tag(data, anc)
                out.append({"id": fid, "port": by_fd[s.fileno()], "hex": frame.hex()})


def main():
    spec = json.load(sys.stdin)
    socks = {name: open_port(p.get("netns"), p["ifname"]) for name, p in spec["ports"].items()}
    drain(socks, [], 0.2)
    arrivals = []
    for f in spec["frames"]:
        socks[f["from"]].send(bytes.fromhex(f["hex"]))
        time.sleep(0.05)
    drain(socks, arrivals, 1.5)
    json.dump({"arrivals": arrivals}, sys.stdout)


if __name__ == "__main__":
    main()
