#!/usr/bin/env python3
"""A real SMTP server for the tests: it accepts mail on 127.0.0.1 and keeps each message in a folder.

    python3 tests/smtp/server.py --port 0 --dir /tmp/mail [--refuse-pattern REGEX] [--busy-pattern REGEX]

Needs Debian's python3-aiosmtpd (`apt-get install python3-aiosmtpd`). Plain SMTP, no TLS and no AUTH:
the service reaches it as `smtp://127.0.0.1:PORT?tls=none`. tests/api/support/smtp.rs starts it for
the Rust tests.

- It listens on 127.0.0.1:PORT (0: a free port) and prints `listening 127.0.0.1:PORT` as the first line
  of its standard output, once it accepts connections.
- Each message is kept once per accepted recipient, as two files numbered in the order they arrive:
  `00000001.eml`, the message's bytes exactly as received (after the SMTP dot-unstuffing: CRLF line
  ends, nothing added), and `00000001.json`, its envelope: {"seq", "message" (the SMTP transaction's
  number, shared by its recipients' files), "mail_from", "rcpt_to" (this file's recipient),
  "rcpt_tos" (every accepted recipient of the transaction), "received_at" (UTC, RFC 3339)}. Each file
  is written under a name starting with "." and renamed into place, the .eml before the .json: a
  reader that lists the .json files sees only whole messages. A restart on the same folder numbers
  on from the last file there.
- RCPT TO an address matching --refuse-pattern (default: a local part starting with "refuse") is
  answered `550 5.1.1 mailbox unavailable`; one matching --busy-pattern (default: a local part
  starting with "busy") `451 4.3.0 try again later`. When the busy pattern's first group matches
  digits, the address is refused only that many times, then accepted (`busy2-x@example.org`: two
  451s, then 250); otherwise always. The patterns are Python regexes searched in the whole address.
- --stop-on-eof: stop when standard input closes, so that the server ends with the process that
  started it (and holds the pipe), however that process ends.

Per message it does little besides writing the files (no parsing, no fsync), for benchmarks that
deliver hundreds of messages a second.
"""

import argparse
import asyncio
import json
import logging
import os
import re
import sys
import threading
from datetime import datetime, timezone

from aiosmtpd.smtp import SMTP

REFUSED = "550 5.1.1 mailbox unavailable"
BUSY = "451 4.3.0 try again later"


class Keeper:
    """The aiosmtpd handler: checks each recipient, and writes each message's files."""

    def __init__(self, folder, refuse, busy):
        self.folder = folder
        self.refuse = refuse
        self.busy = busy
        # How often each limited busy address has been refused so far.
        self.busy_seen = {}
        self.seq = last_seq(folder)
        self.messages = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse.search(address):
            return REFUSED
        busy = self.busy.search(address)
        if busy:
            times = busy.group(1) if busy.re.groups else None
            if not times or not times.isdigit():
                return BUSY
            key = address.lower()
            seen = self.busy_seen.get(key, 0)
            if seen < int(times):
                self.busy_seen[key] = seen + 1
                return BUSY
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        received_at = datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")
        content = envelope.original_content
        for rcpt in envelope.rcpt_tos:
            self.seq += 1
            name = f"{self.seq:08d}"
            envelope_json = json.dumps(
                {
                    "seq": self.seq,
                    "message": self.messages,
                    "mail_from": envelope.mail_from,
                    "rcpt_to": rcpt,
                    "rcpt_tos": envelope.rcpt_tos,
                    "received_at": received_at,
                },
                ensure_ascii=False,
            ).encode("utf-8")
            write_atomically(self.folder, name + ".eml", content)
            write_atomically(self.folder, name + ".json", envelope_json)
        return "250 OK"


def write_atomically(folder, name, data):
    temporary = os.path.join(folder, "." + name + ".tmp")
    with open(temporary, "wb") as f:
        f.write(data)
    os.replace(temporary, os.path.join(folder, name))


def last_seq(folder):
    numbers = [int(n[:-5]) for n in os.listdir(folder) if n.endswith(".json") and n[:-5].isdigit()]
    return max(numbers, default=0)


def stop_on_eof(loop, stop):
    """Wait (in a thread) for standard input to close, then stop the server."""

    def wait():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except OSError:
            pass
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=wait, daemon=True).start()


async def serve(args):
    os.makedirs(args.dir, exist_ok=True)
    handler = Keeper(args.dir, re.compile(args.refuse_pattern), re.compile(args.busy_pattern))
    loop = asyncio.get_running_loop()
    # A fixed hostname: aiosmtpd would otherwise ask DNS for this machine's name.
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="tpms-test-smtp", enable_SMTPUTF8=True, loop=loop),
        host="127.0.0.1",
        port=args.port,
    )
    port = server.sockets[0].getsockname()[1]
    print(f"listening 127.0.0.1:{port}", flush=True)
    stop = asyncio.Event()
    if args.stop_on_eof:
        stop_on_eof(loop, stop)
    async with server:
        await stop.wait()


def main():
    parser = argparse.ArgumentParser(description="SMTP server for the tests: keeps each message in a folder.")
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1; 0 picks a free one")
    parser.add_argument("--dir", required=True, help="where the messages are written")
    parser.add_argument(
        "--refuse-pattern",
        default=r"(?i)^refuse[^@]*@",
        help="regex: RCPT TO an address it matches is answered 550 (default: local part starting with 'refuse')",
    )
    parser.add_argument(
        "--busy-pattern",
        default=r"(?i)^busy(\d*)[^@]*@",
        help="regex: RCPT TO an address it matches is answered 451, as many times as its first group's"
        " digits say, or always (default: local part starting with 'busy', 'busy2-...' twice)",
    )
    parser.add_argument("--stop-on-eof", action="store_true", help="stop when standard input closes")
    args = parser.parse_args()
    # aiosmtpd logs every command at INFO; only its warnings are wanted.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
