#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# Many group members in one process, for selftests/esf_esfd_group_scale.sh:
# the member side of esfd's group key distribution (docs/esfd.md,
# "Groups") written from the documentation, not from esfd's code. It
# derives each member's wrapping key (K14, then KEK) with Python's hmac,
# opens the wrapped keys with the cryptography package's AES-GCM, and
# speaks MQTT 3.1.1 itself (a plain socket: no client library on the host),
# one connection for all the members. Run from the host's /usr with
# esf-host, in the members' network namespace.
#
#   gmember_peer.py run BROKER PORT SERVER_ID GROUP_ID KEYS SENDERS
#       KEYS: lines "MEMBER_ID SENDER KPSA_HEX". Subscribes as all the
#       members, refuses pushes until a member pulled (as esfd does: 4000),
#       pulls each member's first key (a fresh nonce, the answer bound to
#       it), then takes every push: opens it under the member's own KEK,
#       checks group, epoch (above the one held), sender and group size,
#       and answers 2000 {}. Prints, flushed, with the time (seconds since
#       1970) of the event:
#         "ready T"                  subscribed
#         "epoch E count C T"        C members hold epoch E (C is the
#                                    number of members, or one less)
#         "bad MEMBER WHY"           a push or pull answer that failed a check
#       and on SIGTERM "pushes N answered A again R refused F bad B".
#
#   gmember_peer.py check CAPTURE KEYS SERVER_ID GROUP_ID EPOCH REVOKED
#       Reads a broker capture (mosquitto_sub -v) afresh: every esf:gky
#       push of EPOCH, opened under the addressed member's KEK, and the
#       members' answers to them. Prints one line:
#         "pushes P copies C answers A answer_copies AC bytes B
#          members M opened O wrong W revoked_got R revoked_opens X"
#       P: distinct requests (rqi), C: all copies (retransmissions
#       included), A/AC likewise for answers with 2000, B: the bytes of
#       topic and payload of all those primitives, M: distinct members
#       pushed to, O: pushes that opened under their member's KEK to
#       EPOCH with the right sender, W: those that did not, R: esf:gky
#       to REVOKED (push or answer) of EPOCH or later, X: pushes of EPOCH
#       that open under REVOKED's KEK.
import base64
import gc
import hashlib
import hmac
import json
import os
import select
import signal
import socket
import struct
import sys
import time

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

LABEL = b"oneM2M Enrolment Key to Usage-Constrained Symmetric Key derivation"
CTY = "application/vnd.esfd.group-key+json"


def b64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64u_enc(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def kek_of(kpsa, target, grp):
    """docs/esfd.md: K14 from the Kpsa (SUID 14, the target id), then KEK."""
    k14 = hmac.new(kpsa, LABEL + bytes([14]) + target.encode(), hashlib.sha256).digest()
    return hmac.new(k14, b"esfd group key wrapping\x00" + grp.encode(), hashlib.sha256).digest()


def topic_id(i):
    """A oneM2M id as an MQTT topic level (TS-0010): no leading '/', '/' as ':'."""
    return i.lstrip("/").replace("/", ":")


def read_keys(path):
    members = {}
    for line in open(path):
        mid, sender, kpsa = line.split()
        members[mid] = (int(sender), bytes.fromhex(kpsa))
    return members


def open_gky(kek, jwe, grp, nnc):
    """(header, body) of a wrapped key, checked as docs/esfd.md says."""
    h, ek, iv, ct, tag = jwe.split(".")
    hdr = json.loads(b64u(h))
    if ek or hdr.get("alg") != "dir" or hdr.get("enc") != "A256GCM" or hdr.get("cty") != CTY:
        raise ValueError("not a group key JWE")
    if hdr.get("grp") != grp:
        raise ValueError("another group")
    if hdr.get("nnc") != nnc:
        raise ValueError("nonce binding")
    body = json.loads(AESGCM(kek).decrypt(b64u(iv), b64u(ct) + b64u(tag), h.encode()))
    want = {"grp", "epoch", "sender", "senders", "alg", "tagLength", "key", "salt", "switchAt"}
    if set(body) != want or body["grp"] != grp or body["epoch"] != hdr.get("epoch"):
        raise ValueError("content does not match its header")
    if len(b64u(body["salt"])) != 4:
        raise ValueError("salt")
    return hdr, body


# MQTT 3.1.1, the little the members need ------------------------------------------


def mqtt_str(s):
    b = s.encode()
    return struct.pack("!H", len(b)) + b


def mqtt_packet(first, body):
    n, rl = len(body), b""
    while True:
        d, n = n % 128, n // 128
        rl += bytes([d | (0x80 if n else 0)])
        if not n:
            break
    return bytes([first]) + rl + body


class Mqtt:
    def __init__(self, host, port, client_id):
        self.s = socket.create_connection((host, port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.pid = 0
        self.out = []
        self.send(mqtt_packet(0x10, mqtt_str("MQTT") + bytes([4, 0x02]) +
                              struct.pack("!H", 60) + mqtt_str(client_id)))

    def send(self, pkt):
        self.out.append(pkt)

    def flush(self):
        if self.out:
            self.s.sendall(b"".join(self.out))
            self.out = []

    def next_pid(self):
        self.pid = self.pid % 65535 + 1
        return self.pid

    def subscribe(self, topics):
        body = struct.pack("!H", self.next_pid())
        for t in topics:
            body += mqtt_str(t) + b"\x01"
        self.send(mqtt_packet(0x82, body))

    def publish(self, topic, payload):
        self.send(mqtt_packet(0x32, mqtt_str(topic) + struct.pack("!H", self.next_pid()) +
                              payload.encode()))

    def packets(self, timeout):
        """The complete packets read within @timeout: (type, flags, body).
        Read from an offset, the buffer cut once: a burst of a thousand
        pushes must not be copied once per packet."""
        r, _, _ = select.select([self.s], [], [], timeout)
        if r:
            data = self.s.recv(1 << 20)
            if not data:
                raise EOFError("the broker closed the connection")
            self.buf += data
        buf, off, out = self.buf, 0, []
        while True:
            n, mul, i = 0, 1, off + 1
            while i < len(buf):
                n += (buf[i] & 0x7F) * mul
                mul *= 128
                i += 1
                if not buf[i - 1] & 0x80:
                    break
            else:
                break
            if len(buf) < i + n:
                break
            out.append((buf[off] >> 4, buf[off] & 0x0F, buf[i:i + n]))
            off = i + n
        self.buf = buf[off:]
        return out

    def publish_in(self, flags, body):
        """(topic, payload) of an incoming PUBLISH, acknowledged if QoS 1."""
        tl = struct.unpack("!H", body[:2])[0]
        topic = body[2:2 + tl].decode()
        off = 2 + tl
        if flags & 0x06:
            self.send(mqtt_packet(0x40, body[off:off + 2]))
            off += 2
        return topic, body[off:]


# The members --------------------------------------------------------------------


class Member:
    def __init__(self, mid, sender, kek):
        self.id, self.sender, self.kek = mid, sender, kek
        self.held = 0           # the newest epoch taken
        self.pulled = False     # a key pulled in this run: pushes taken from then on
        self.pull = None        # (rqi, nnc, sent at, next retransmission, interval)
        self.answers = {}       # rqi -> the answer sent (a retransmission gets it again)


def run(host, port, server_id, grp, keys_path, senders):
    members = {}
    for mid, (sender, kpsa) in read_keys(keys_path).items():
        members[topic_id(mid)] = Member(mid, sender, kek_of(kpsa, server_id, grp))
    total = len(members)
    srv = topic_id(server_id)
    m = Mqtt(host, port, "gmember-sim-%d" % os.getpid())
    m.subscribe(["/oneM2M/req/%s/+/json" % srv, "/oneM2M/resp/+/%s/json" % srv])
    m.flush()
    holders = {}
    stats = {"pushes": 0, "answered": 0, "again": 0, "refused": 0, "bad": 0}
    seq = [0]
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))

    def say(*words):
        print(*words, flush=True)

    def took(mem, epoch):
        if mem.held:
            holders[mem.held] -= 1
        mem.held = epoch
        holders[epoch] = holders.get(epoch, 0) + 1
        if holders[epoch] in (total, total - 1):
            say("epoch", epoch, "count", holders[epoch], "%.6f" % time.time())

    def pull(mem):
        seq[0] += 1
        nnc = b64u_enc(os.urandom(16))
        rqi = "sim-%s-%d" % (mem.id, seq[0])
        now = time.time()
        mem.pull = [rqi, nnc, now, now + 1.0, 1.0]
        send_pull(mem)

    def send_pull(mem):
        rqi, nnc = mem.pull[0], mem.pull[1]
        req = {"op": 5, "to": server_id, "fr": mem.id, "rqi": rqi, "rvi": "3",
               "pc": {"esf:gkp": {"grp": grp, "nnc": nnc, "have": mem.held}}}
        m.publish("/oneM2M/req/%s/%s/json" % (topic_id(mem.id), srv),
                  json.dumps(req, separators=(",", ":")))

    def answer(mem, req, rsc, pc):
        rsp = json.dumps({"rsc": rsc, "rqi": req["rqi"], "to": req["fr"], "fr": mem.id,
                          "rvi": "3", "pc": pc}, separators=(",", ":"))
        mem.answers[req["rqi"]] = rsp
        m.publish("/oneM2M/resp/%s/%s/json" % (srv, topic_id(mem.id)), rsp)

    def on_push(mem, req):
        stats["pushes"] += 1
        if req["rqi"] in mem.answers:       # a retransmission: the same answer
            stats["again"] += 1
            m.publish("/oneM2M/resp/%s/%s/json" % (srv, topic_id(mem.id)),
                      mem.answers[req["rqi"]])
            return
        if not mem.pulled:
            stats["refused"] += 1
            answer(mem, req, 4000, {"m2m:dbg": "no key pulled yet in this run"})
            if not mem.pull:
                pull(mem)
            return
        try:
            hdr, body = open_gky(mem.kek, req["pc"]["esf:gky"], grp, None)
            if body["sender"] != mem.sender or body["senders"] != senders:
                raise ValueError("sender %d of %d" % (body["sender"], body["senders"]))
            if body["epoch"] < mem.held:
                raise ValueError("an older epoch")
        except Exception as e:
            stats["bad"] += 1
            say("bad", mem.id, "push:", repr(e))
            answer(mem, req, 4000, {"m2m:dbg": "refused"})
            return
        if body["epoch"] > mem.held:
            took(mem, body["epoch"])
        stats["answered"] += 1
        answer(mem, req, 2000, {})

    def on_pull_answer(mem, rsp):
        if not mem.pull or rsp.get("rqi") != mem.pull[0]:
            return
        nnc = mem.pull[1]
        if rsp.get("rsc") != 2000:
            mem.pull[3] = time.time() + 5.0    # asked again later, afresh
            mem.pull[4] = -1
            return
        mem.pull = None
        try:
            hdr, body = open_gky(mem.kek, rsp["pc"]["esf:gky"], grp, nnc)
            if body["sender"] != mem.sender or body["senders"] != senders:
                raise ValueError("sender %d of %d" % (body["sender"], body["senders"]))
        except Exception as e:
            stats["bad"] += 1
            say("bad", mem.id, "pull:", repr(e))
            return
        mem.pulled = True
        if body["epoch"] > mem.held:
            took(mem, body["epoch"])

    say("connecting")
    ready = False
    # One process stands for 1000 members: a pause of its own (a full
    # garbage collection takes a second under TCG) would look to the server
    # like 1000 members silent at once, and make it retransmit.
    gc.collect()
    gc.freeze()
    gc.disable()
    next_check = 0.0
    while not stop:
        for k, (typ, flags, body) in enumerate(m.packets(0.2)):
            if k % 10 == 9:     # answers go as they are made, not after a burst
                m.flush()
            if typ == 9 and not ready:          # SUBACK
                ready = True
                say("ready", "%.6f" % time.time())
            if typ != 3:
                continue
            topic, payload = m.publish_in(flags, body)
            parts = topic.split("/")
            try:
                prim = json.loads(payload)
            except ValueError:
                continue
            if parts[2] == "req":
                mem = members.get(parts[4])
                if mem and isinstance(prim.get("pc"), dict) and "esf:gky" in prim["pc"]:
                    on_push(mem, prim)
            else:
                mem = members.get(parts[3])
                if mem:
                    on_pull_answer(mem, prim)
        now = time.time()
        if now < next_check:
            m.flush()
            continue
        next_check = now + 0.2
        for mem in members.values():            # pulls: retransmitted, or made again
            p = mem.pull
            if p and now >= p[3]:
                if p[4] < 0:
                    pull(mem)
                else:
                    p[4] = min(p[4] * 2, 8.0)
                    p[3] = now + p[4]
                    send_pull(mem)
        m.flush()
    say("pushes", stats["pushes"], "answered", stats["answered"], "again", stats["again"],
        "refused", stats["refused"], "bad", stats["bad"])


def check(capture_path, keys_path, server_id, grp, epoch, revoked):
    keys = read_keys(keys_path)
    keks = {topic_id(mid): kek_of(kpsa, server_id, grp) for mid, (s, kpsa) in keys.items()}
    senders = {topic_id(mid): s for mid, (s, kpsa) in keys.items()}
    rev = topic_id(revoked)
    srv = topic_id(server_id)
    pushes, answers = {}, {}
    copies = answer_copies = nbytes = 0
    revoked_got = 0
    for line in open(capture_path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        topic, _, payload = line.partition(" ")
        parts = topic.split("/")
        if len(parts) != 6 or parts[1] != "oneM2M":
            continue
        try:
            prim = json.loads(payload)
        except ValueError:
            continue
        if not isinstance(prim, dict):
            continue
        pc = prim.get("pc")
        jwe = pc.get("esf:gky") if isinstance(pc, dict) else None
        if jwe:
            to = parts[4] if parts[2] == "req" else parts[3]
            hdr = json.loads(b64u(jwe.split(".")[0]))
            if to == rev and hdr.get("epoch", 0) >= epoch:
                revoked_got += 1
            if parts[2] == "req" and parts[3] == srv and hdr.get("epoch") == epoch:
                pushes.setdefault(prim["rqi"], (to, jwe))
                copies += 1
                nbytes += len(topic) + 1 + len(payload.encode())
        elif parts[2] == "resp" and parts[3] == srv:
            answers.setdefault(prim.get("rqi"), []).append((parts[4], prim.get("rsc"),
                                                           len(topic) + 1 +
                                                           len(payload.encode())))
    opened = wrong = 0
    for to, jwe in pushes.values():
        try:
            hdr, body = open_gky(keks[to], jwe, grp, None)
            ok = body["epoch"] == epoch and body["sender"] == senders[to]
        except Exception:
            ok = False
        opened += ok
        wrong += not ok
    revoked_opens = 0
    if rev in keks:
        for to, jwe in pushes.values():
            try:
                open_gky(keks[rev], jwe, grp, None)
                revoked_opens += 1
            except Exception:
                pass
    n_answers = 0
    for rqi, (to, jwe) in pushes.items():
        got = [a for a in answers.get(rqi, []) if a[0] == to and a[1] == 2000]
        if got:
            n_answers += 1
            answer_copies += len(got)
            nbytes += sum(a[2] for a in got)
    print("pushes", len(pushes), "copies", copies, "answers", n_answers, "answer_copies",
          answer_copies, "bytes", nbytes, "members", len({to for to, j in pushes.values()}),
          "opened", opened, "wrong", wrong, "revoked_got", revoked_got, "revoked_opens",
          revoked_opens)


def main():
    if sys.argv[1] == "run":
        host, port, server_id, grp, keys, senders = sys.argv[2:8]
        run(host, int(port), server_id, grp, keys, int(senders))
    elif sys.argv[1] == "check":
        capture, keys, server_id, grp, epoch, revoked = sys.argv[2:8]
        check(capture, keys, server_id, grp, int(epoch), revoked)
    else:
        sys.exit("usage: gmember_peer.py run|check ...")


main()
