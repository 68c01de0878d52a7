import {
  type BondSettings,
  delLinkRequest,
  newBondRequest,
  setMasterRequest,
  setPrimaryRequest,
  setUpRequest,
} from './netlink/bond.js';
import { NETLINK_GENERIC, NETLINK_ROUTE } from './netlink/constants.js';
import {
  type DevlinkHandle,
  type DevlinkPort,
  decodeEswitchMode,
  decodeFamilyId,
  decodePort,
  type EswitchModeName,
  eswitchGetRequest,
  eswitchSetRequest,
  getFamilyRequest,
  portDumpRequest,
} from './netlink/genl.js';
import { decodeLink, type LinkInfo } from './netlink/link-decode.js';
import {
  getLinkRequest,
  setMtuRequest,
  setVfsRequest,
  type VfChange,
} from './netlink/link-request.js';
import { NetlinkError, type NlAck } from './netlink/message.js';
import { NetlinkSocket } from './netlink/transport.js';

/** rtnetlink calls the driver makes, over one socket in a worker thread. */
export class Rtnl {
  private readonly sock: NetlinkSocket;

  constructor(timeoutMs = 5000) {
    this.sock = new NetlinkSocket(NETLINK_ROUTE, timeoutMs);
  }

  open(): Promise<void> {
    return this.sock.open();
  }

  close(): Promise<void> {
    return this.sock.close();
  }

  /**
   * Several links at once (pipelined). Equivalent to: `ip -d [-s] link show DEV` per link.
   * A link that is gone comes back as a NetlinkError (ENODEV) in its slot.
   */
  async getLinks(ifindexes: number[], stats: boolean): Promise<Array<LinkInfo | NetlinkError>> {
    const replies = await this.sock.request(
      ifindexes.map((index) => getLinkRequest({ index, stats })),
    );
    return replies.map((r, i) => {
      if (r.ack.errno !== 0 || r.messages.length === 0) {
        return new NetlinkError(`read link ${ifindexes[i]}`, r.ack.errno ? r.ack : { errno: 19 });
      }
      return decodeLink(r.messages[0].payload);
    });
  }

  /**
   * One RTM_SETLINK per VF change, all sent together; returns each one's ACK in order.
   * Equivalent to: one `ip link set PF vf N …` per change.
   */
  async setVfs(changes: Array<{ ifindex: number; change: VfChange }>): Promise<NlAck[]> {
    const replies = await this.sock.request(
      changes.map((c) => setVfsRequest(c.ifindex, [c.change])),
    );
    return replies.map((r) => r.ack);
  }

  private async one(msg: Buffer): Promise<NlAck> {
    const [r] = await this.sock.request([msg]);
    return r.ack;
  }

  /** Equivalent to: `ip link add NAME type bond mode … miimon … [xmit_hash_policy …]`. */
  createBond(name: string, s: BondSettings): Promise<NlAck> {
    return this.one(newBondRequest(name, s));
  }

  /** Equivalent to: `ip link set DEV master BOND` (`nomaster` with 0). */
  setMaster(dev: number, master: number): Promise<NlAck> {
    return this.one(setMasterRequest(dev, master));
  }

  /** Equivalent to: `ip link set BOND type bond primary DEV`. */
  setPrimary(bond: number, primary: number): Promise<NlAck> {
    return this.one(setPrimaryRequest(bond, primary));
  }

  /** Equivalent to: `ip link set DEV up|down`. */
  setUp(dev: number, up: boolean): Promise<NlAck> {
    return this.one(setUpRequest(dev, up));
  }

  /** Equivalent to: `ip link del DEV`. */
  deleteLink(dev: number): Promise<NlAck> {
    return this.one(delLinkRequest(dev));
  }

  /** Equivalent to: `ip -d link show NAME`; null when there is no such link. */
  async getLinkByName(name: string, stats = false): Promise<LinkInfo | null> {
    const [r] = await this.sock.request([getLinkRequest({ name, stats })]);
    if (r.ack.errno !== 0 || r.messages.length === 0) return null;
    return decodeLink(r.messages[0].payload);
  }

  /** Equivalent to: `ip link set DEV mtu N`. */
  async setMtu(ifindex: number, mtu: number): Promise<NlAck> {
    const [r] = await this.sock.request([setMtuRequest(ifindex, mtu)]);
    return r.ack;
  }
}

/** devlink over generic netlink; absent (igb, no devlink module) → every call says so. */
export class Devlink {
  private readonly sock: NetlinkSocket;
  private family: number | null = null;

  /** Eswitch mode changes make the driver rebuild its ports: allow them 30 s. */
  constructor(timeoutMs = 30000) {
    this.sock = new NetlinkSocket(NETLINK_GENERIC, timeoutMs);
  }

  /** Opens the socket and resolves the family; false when the kernel has no devlink. */
  async open(): Promise<boolean> {
    await this.sock.open();
    const [r] = await this.sock.request([getFamilyRequest('devlink')]);
    this.family =
      r.ack.errno === 0 && r.messages[0] ? (decodeFamilyId(r.messages[0]) ?? null) : null;
    return this.family !== null;
  }

  close(): Promise<void> {
    this.family = null;
    return this.sock.close();
  }

  get available(): boolean {
    return this.family !== null;
  }

  /** Equivalent to: `devlink dev eswitch show BUS/DEV`; undefined when the device has none. */
  async getEswitchMode(h: DevlinkHandle): Promise<EswitchModeName | undefined> {
    if (this.family === null) return undefined;
    const [r] = await this.sock.request([eswitchGetRequest(this.family, h)]);
    if (r.ack.errno !== 0 || !r.messages[0]) return undefined;
    return decodeEswitchMode(r.messages[0]);
  }

  /** Equivalent to: `devlink dev eswitch set BUS/DEV mode MODE`. Throws with the kernel's text. */
  async setEswitchMode(h: DevlinkHandle, mode: EswitchModeName): Promise<void> {
    if (this.family === null) {
      throw new Error(
        `${h.bus}/${h.dev}: cannot set eswitch mode ${mode}: the kernel has no devlink`,
      );
    }
    const [r] = await this.sock.request([eswitchSetRequest(this.family, h, mode)]);
    if (r.ack.errno !== 0)
      throw new NetlinkError(`${h.bus}/${h.dev}: set eswitch mode ${mode}`, r.ack);
  }

  /** Equivalent to: `devlink port show`, filtered to one device. */
  async ports(h: DevlinkHandle): Promise<DevlinkPort[]> {
    if (this.family === null) return [];
    const [r] = await this.sock.request([portDumpRequest(this.family)]);
    return r.messages.map(decodePort).filter((p) => p.bus === h.bus && p.dev === h.dev);
  }
}
