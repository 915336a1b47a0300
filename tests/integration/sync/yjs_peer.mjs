// A JavaScript Yjs peer for the interop tests (yjs and y-protocols from npm).
//
//   node yjs_peer.mjs read FILE      apply a Krates update, print meta and krates as JSON
//   node yjs_peer.mjs write          print (base64) an update that creates a krate
//   node yjs_peer.mjs handshake      print a SyncStep1 frame and an awareness frame,
//                                    read a SyncStep2 frame from stdin, print the krates
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import * as Y from "yjs";
import * as syncProtocol from "y-protocols/sync";
import * as awarenessProtocol from "y-protocols/awareness";
import * as encoding from "lib0/encoding";
import * as decoding from "lib0/decoding";

const b64 = (bytes) => Buffer.from(bytes).toString("base64");
const unb64 = (text) => new Uint8Array(Buffer.from(text, "base64"));

function dump(doc) {
  return JSON.stringify({ meta: doc.getMap("meta").toJSON(), krates: doc.getMap("krates").toJSON() });
}

function write() {
  const doc = new Y.Doc();
  const krates = doc.getMap("krates");
  doc.transact(() => {
    const krate = new Y.Map();
    krates.set("o-0000000000000000js01", krate);
    krate.set("id", "o-0000000000000000js01");
    krate.set("objRef", { kind: "Pod", group: "", version: "v1", namespace: "payments", name: "from-yjs" });
    krate.set("collScope", null);
    krate.set("label", "from-yjs");
    krate.set("color", "#6fb1ff");
    krate.set("pos", [1234.5, 678]);
    krate.set("minimized", false);
    krate.set("seq", 1);
    krate.set("owner", "9b1c0d2e-js");
    const windows = new Y.Map();
    krate.set("windows", windows);
    const win = new Y.Map();
    windows.set("w1-9b1c0d", win);
    win.set("wid", "w1-9b1c0d");
    win.set("kind", "detail");
    win.set("tab", "logs");
    win.set("geom", [0, 0, 380, 362]);
  });
  console.log(b64(Y.encodeStateAsUpdate(doc)));
}

async function handshake() {
  const doc = new Y.Doc();
  const step1 = encoding.createEncoder();
  encoding.writeVarUint(step1, 0);
  syncProtocol.writeSyncStep1(step1, doc);
  console.log(b64(encoding.toUint8Array(step1)));
  const awareness = new awarenessProtocol.Awareness(doc);
  awareness.setLocalState({ userId: "9b1c0d2e-js", name: "Yjs Peer", cursor: { x: 10, y: 20 } });
  const aw = encoding.createEncoder();
  encoding.writeVarUint(aw, 1);
  encoding.writeVarUint8Array(aw, awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID]));
  console.log(b64(encoding.toUint8Array(aw)));
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const decoder = decoding.createDecoder(unb64(line.trim()));
    if (decoding.readVarUint(decoder) !== 0) throw new Error("not a sync frame");
    syncProtocol.readSyncMessage(decoder, encoding.createEncoder(), doc, "krates");
    console.log(dump(doc));
    awareness.destroy();
    lines.close();
    process.exit(0);
  }
}

const [mode, arg] = process.argv.slice(2);
if (mode === "read") {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, new Uint8Array(readFileSync(arg)));
  console.log(dump(doc));
} else if (mode === "write") {
  write();
} else if (mode === "handshake") {
  await handshake();
} else {
  throw new Error(`unknown mode ${mode}`);
}
