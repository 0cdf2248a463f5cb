# Opens a pseudo-terminal pair for the PX4 simulator and relays bytes between its master side and
# this process's stdin/stdout. Node has no openpty, so Python's pty module gives the simulator a
# real tty (/dev/pts/N) that serialport opens like a USB autopilot. Prints the slave path first.
import os, pty, select, sys, tty

master, slave = pty.openpty()
tty.setraw(slave)
tty.setraw(master)
sys.stderr.write(os.ttyname(slave) + "\n")
sys.stderr.flush()
stdin = sys.stdin.fileno()
stdout = sys.stdout.fileno()
while True:
    readable, _, _ = select.select([master, stdin], [], [])
    if master in readable:
        try:
            data = os.read(master, 65536)
        except OSError:
            data = b""
        if data:
            os.write(stdout, data)
    if stdin in readable:
        data = os.read(stdin, 65536)
        if not data:
            break
        os.write(master, data)
