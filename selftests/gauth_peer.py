#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# Simulated devices for selftests/esf_esfd_gauth.sh: static group
# authentication through a gateway agent (TR-0012 7.2.1) written again from
# docs/esfd.md, "Static group authentication", with Python's hmac and the
# paho MQTT client, not esfd's code. Many devices share this one process
# and one MQTT connection (the test says so).
#
#   gauth_peer.py gen N PREFIX DIR
#       N devices PREFIX0001..: random Kpsas; writes DIR/devices (id,
#       Kpsa with the agent, Kpsa with the server), DIR/server.peers and
#       DIR/agent.peers (their [peer] sections) and DIR/members ("members ="
#       lines of their names).
#   gauth_peer.py run HOST PORT AGENT_ID SERVER_ID GROUP DEVICES N
#       the first N devices of DEVICES ask the agent at once, check its
#       answer, derive Ks_x, confirm it to the server and check its answer.
#
# "run" prints "answered N", "confirmed N", "bad REASON COUNT" lines,
# "seconds S" and, for the first device, "ks ID HEX BASE64 BASE64URL" and
# "rand HEX".
import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time

UC_LABEL = b"oneM2M Enrolment Key to Usage-Constrained Symmetric Key derivation"
KS_LABEL = b"oneM2M Group Secure Connection Key derivation"


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def level(entity):
    """An id as one MQTT topic level (TS-0010): no leading /, / as :."""
    return entity.lstrip("/").replace("/", ":")


def h(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()


def link_key(kpsa, target, grp):
    """K14 of the Kpsa (SUID 14, the higher-ranked end's id), bound to the group."""
    k14 = h(kpsa, UC_LABEL + bytes([14]) + target.encode())
    return h(k14, b"esfd group authentication\x00" + grp.encode())


def mac(key, name, grp, frm, to, *fields):
    data = b"".join(f.encode() + b"\x00" for f in (name, grp, frm, to) + fields)
    return h(key, data)


def gen(n, prefix, out):
    with open(os.path.join(out, "devices"), "w") as dv, \
            open(os.path.join(out, "server.peers"), "w") as sp, \
            open(os.path.join(out, "agent.peers"), "w") as ap:
        names = []
        for i in range(1, n + 1):
            name = "%s%04d" % (prefix, i)
            kg, ks = os.urandom(32).hex(), os.urandom(32).hex()
            dv.write("%s %s %s\n" % (name, kg, ks))
            for f, k in ((sp, ks), (ap, kg)):
                f.write("[peer %s]\nid = %s\nrole = device\nkpsa-id = k-%s\nkpsa = %s\n\n"
                        % (name, name, name, k))
            names.append(name)
    # A members line per 100 devices: esfd's lines are at most 4096 bytes.
    with open(os.path.join(out, "members"), "w") as f:
        for i in range(0, len(names), 100):
            f.write("members = %s\n" % " ".join(names[i:i + 100]))


class Sim:
    def __init__(self, host, port, agent, server, grp, devices):
        import paho.mqtt.client as mqtt

        self.agent, self.server, self.grp = agent, server, grp
        self.devs = devices
        self.by_level = {level(d[0]): d for d in devices}
        self.nonce = {}
        self.rand = {}
        self.ks = {}
        self.answered = self.confirmed = 0
        self.bad = {}
        self.done = threading.Event()
        # Request ids are new in every run: a receiver answers a request id
        # it has seen with the answer it gave (a retransmission).
        self.run = os.urandom(4).hex()
        self.lock = threading.Lock()
        self.c = mqtt.Client(client_id="gauth-sim-%d" % os.getpid(), clean_session=True)
        self.c.max_inflight_messages_set(0)
        self.c.max_queued_messages_set(0)
        self.c.on_message = self.on_message
        self.c.connect(host, port, 60)
        self.c.subscribe("/oneM2M/resp/+/+/json", qos=1)
        self.c.loop_start()
        time.sleep(0.5)

    def fail(self, why):
        self.bad[why] = self.bad.get(why, 0) + 1
        self.check_done()

    def check_done(self):
        if self.confirmed + sum(self.bad.values()) >= len(self.devs):
            self.done.set()

    def request(self, dev, to, rqi, pc):
        prim = {"op": 5, "to": to, "fr": dev, "rqi": rqi, "rvi": "3", "pc": pc}
        self.c.publish("/oneM2M/req/%s/%s/json" % (level(dev), level(to)),
                       json.dumps(prim, separators=(",", ":")), qos=1)

    def ask(self, d):
        dev, kg, _ = d
        nnc = b64u(os.urandom(16))
        self.nonce[dev] = nnc
        key = link_key(kg, self.agent, self.grp)
        pc = {"esf:gaq": {"grp": self.grp, "nnc": nnc,
                          "mac": b64u(mac(key, "esf:gaq", self.grp, dev, self.agent, nnc))}}
        self.request(dev, self.agent, "sim-%s-%s-1" % (self.run, dev), pc)

    def on_message(self, client, userdata, msg):
        parts = msg.topic.split("/")
        d = self.by_level.get(parts[3]) if len(parts) == 6 else None
        if d is None:
            return
        try:
            rsp = json.loads(msg.payload)
        except ValueError:
            return
        with self.lock:
            if parts[4] == level(self.agent):
                self.on_agent(d, rsp)
            elif parts[4] == level(self.server):
                self.on_server(d, rsp)

    def on_agent(self, d, rsp):
        dev, kg, kx = d
        if dev in self.rand:
            return
        if rsp.get("rsc") != 2000:
            return self.fail("agent-rsc-%s" % rsp.get("rsc"))
        a = rsp.get("pc", {}).get("esf:gar", {})
        key = link_key(kg, self.agent, self.grp)
        want = mac(key, "esf:gar", self.grp, self.agent, dev, self.nonce[dev], a.get("rnd", ""))
        if not hmac.compare_digest(want, unb64u(a.get("mac", ""))):
            return self.fail("agent-mac")
        self.answered += 1
        rnd = a["rnd"]
        self.rand[dev] = rnd
        ks = h(kx, KS_LABEL + dev.encode() + unb64u(rnd))
        self.ks[dev] = ks
        kc = h(ks, b"esfd group authentication confirmation\x00" + self.grp.encode())
        pc = {"esf:gac": {"grp": self.grp, "rnd": rnd,
                          "mac": b64u(mac(kc, "esf:gac", self.grp, dev, self.server, rnd))}}
        self.request(dev, self.server, "sim-%s-%s-2" % (self.run, dev), pc)

    def on_server(self, d, rsp):
        dev = d[0]
        if dev not in self.ks or self.ks[dev] is None:
            return
        if rsp.get("rsc") != 2000:
            return self.fail("server-rsc-%s" % rsp.get("rsc"))
        a = rsp.get("pc", {}).get("esf:gcr", {})
        kc = h(self.ks[dev], b"esfd group authentication confirmation\x00" + self.grp.encode())
        want = mac(kc, "esf:gcr", self.grp, self.server, dev, self.rand[dev])
        if not hmac.compare_digest(want, unb64u(a.get("mac", ""))):
            return self.fail("server-mac")
        self.confirmed += 1
        self.check_done()


def run(host, port, agent, server, grp, devfile, n):
    devs = []
    with open(devfile) as f:
        for line in f:
            name, kg, kx = line.split()
            devs.append((name, bytes.fromhex(kg), bytes.fromhex(kx)))
    devs = devs[:n]
    sim = Sim(host, port, agent, server, grp, devs)
    t0 = time.monotonic()
    with sim.lock:
        for d in devs:
            sim.ask(d)
    sim.done.wait(150)
    took = time.monotonic() - t0
    sim.c.loop_stop()
    print("answered %d" % sim.answered)
    print("confirmed %d" % sim.confirmed)
    for why, k in sorted(sim.bad.items()):
        print("bad %s %d" % (why, k))
    print("seconds %.2f" % took)
    first = devs[0][0]
    if sim.ks.get(first):
        ks = sim.ks[first]
        print("ks %s %s %s %s" % (first, ks.hex(), base64.b64encode(ks).decode().rstrip("="),
                                  b64u(ks)))
        print("rand %s" % unb64u(sim.rand[first]).hex())


def main():
    if sys.argv[1] == "gen":
        gen(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        host, port, agent, server, grp, devfile, n = sys.argv[2:9]
        run(host, int(port), agent, server, grp, devfile, int(n))


if __name__ == "__main__":
    main()
