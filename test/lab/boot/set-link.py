"""set-link.py QMP_SOCKET NETDEV true|false: QEMU's set_link over QMP, as a cable pull.

Prints QEMU's answer to set_link (events QEMU sends meanwhile are skipped). Python because
QMP is line-delimited JSON on a Unix socket and the host's python3 speaks both without
another package.
"""
import json
import socket
import sys

sock = socket.socket(socket.AF_UNIX)
sock.settimeout(5)
sock.connect(sys.argv[1])
f = sock.makefile("rw")
f.readline()  # the greeting
for cmd in (
    {"execute": "qmp_capabilities"},
    {"execute": "set_link", "arguments": {"name": sys.argv[2], "up": sys.argv[3] == "true"}},
):
    f.write(json.dumps(cmd) + "\n")
    f.flush()
    line = f.readline()
    while '"event"' in line:
        line = f.readline()
print(line.strip())
