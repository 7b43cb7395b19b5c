# warmcli.py SOCKET [LOG]: serve the real AWS CLI from one warm process.
#
# /usr/bin/aws spends about 0.3 s of CPU importing awscli and building its
# command table before it parses a single argument; tests that run hundreds
# of commands spend minutes on that alone. This server does that work once,
# with the environment the tests give the CLI, then forks a child per
# command, which runs CLIDriver.main on the command's arguments with the
# caller's standard input, output and error (passed over the socket), in the
# caller's directory. The child is the code /usr/bin/aws runs, in the same
# state. A caller whose environment differs from the server's in anything
# the CLI reads gets the cold /usr/bin/aws instead, so the answer is always
# the one the real program gives. See cli.go for the client.
import json
import os
import signal
import socket
import struct
import subprocess
import sys

AWS = "/usr/bin/aws"



def relevant(env):
    """The variables the CLI reads: AWS's own, home, locale, time zone, Python."""
    keep = ("AWS_", "LC_", "PYTHON")
    return {k: v for k, v in env.items() if k.startswith(keep) or k in ("HOME", "LANG", "TZ")}


# Before the import, which sets AWS_DATA_PATH in the environment: a cold
# /usr/bin/aws starts from the caller's environment, as this does.
mine = relevant(os.environ)
log = open(sys.argv[2], "a", buffering=1) if len(sys.argv) > 2 else None

# What /usr/bin/aws does before it imports the CLI.
if os.environ.get("LC_CTYPE", "") == "UTF-8":
    os.environ["LC_CTYPE"] = "en_US.UTF-8"
import awscli.clidriver  # noqa: E402

# /usr/bin/aws runs AWSCLIEntryPoint().main(sys.argv[1:]), which creates a
# driver from the arguments (they decide only --debug), then runs it. The
# warm driver is made for arguments without --debug; a command with it
# goes to the cold program.
driver = awscli.clidriver.create_clidriver(["iam"])
table = driver._get_command_table()
for service in ("iam", "sts"):
    table[service]._get_command_table()
    # The models and endpoint data a command's client loads, cached by the
    # session's loader: each child would load them again, which is most of
    # the time a warm command takes.
    driver.session.create_client(service, region_name="us-east-1")


def recv_request(conn):
    data, fds, _, _ = socket.recv_fds(conn, 65536, 3)
    size = struct.unpack(">I", data[:4])[0]
    data = data[4:]
    while len(data) < size:
        more = conn.recv(65536)
        if not more:
            raise EOFError("short request")
        data += more
    return json.loads(data), fds


def serve(conn):
    req, fds = recv_request(conn)
    for i, fd in enumerate(fds):
        os.dup2(fd, i)
        os.close(fd)
    os.chdir(req["cwd"])
    argv = req["argv"]
    env = req["env"]
    warm = relevant(env) == mine and "--debug" not in argv
    if log:
        log.write("warm\n" if warm else "cold\n")
    if not warm:
        rc = subprocess.call([AWS] + argv, env=env)
    else:
        # As the warm process has it: what the import added (AWS_DATA_PATH)
        # stays, as it would in a cold one.
        os.environ.update(env)
        sys.argv = [AWS] + argv
        try:
            rc = awscli.clidriver.AWSCLIEntryPoint(driver).main(argv)
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            pass
        try:
            sys.stderr.flush()
        except BrokenPipeError:
            pass
    conn.sendall(b"%d\n" % (rc or 0))


def main():
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children reap themselves
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sys.argv[1])
    srv.listen(64)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        conn, _ = srv.accept()
        if os.fork() == 0:
            srv.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                serve(conn)
            finally:
                os._exit(0)
        conn.close()


main()
