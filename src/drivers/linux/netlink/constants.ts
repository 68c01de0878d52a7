/**
 * Numbers from the kernel's uAPI headers (linux/netlink.h, rtnetlink.h, if_link.h,
 * genetlink.h, devlink.h), checked against the headers of Debian's 6.1 kernel.
 */

export const AF_NETLINK = 16;
export const AF_UNSPEC = 0;
/** iproute2 asks for single links with family AF_PACKET; the kernel ignores it for links. */
export const AF_PACKET = 17;
export const NETLINK_ROUTE = 0;
export const NETLINK_GENERIC = 16;

export const SOL_SOCKET = 1;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_RCVTIMEO = 20;
export const SO_RCVBUFFORCE = 33;
export const SOL_NETLINK = 270;
export const NETLINK_ADD_MEMBERSHIP = 1;
export const NETLINK_CAP_ACK = 10;
export const NETLINK_EXT_ACK = 11;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;
/** On NLMSG_ERROR: the echoed request was cut to its header (NETLINK_CAP_ACK). */
export const NLM_F_CAPPED = 0x100;
/** On NLMSG_ERROR / NLMSG_DONE: extended-ack attributes follow. */
export const NLM_F_ACK_TLVS = 0x200;

export const NLMSG_HDRLEN = 16;
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;
export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;

export const NLA_HDRLEN = 4;
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_SETLINK = 19;
export const RTNLGRP_LINK = 1;
/** Qdisc, class, filter and chain changes (every message starts with a struct tcmsg). */
export const RTNLGRP_TC = 4;
export const RTM_NEWQDISC = 36;
export const RTM_DELTFILTER = 45;
export const RTM_NEWTFILTER = 44;
export const RTM_DELCHAIN = 101;
/** struct tcmsg: family u8, pad u8, pad u16, then ifindex s32. */
export const TCMSG_IFINDEX_OFFSET = 4;
export const IFINFOMSG_LEN = 16;

export const IFF_UP = 0x1;
export const IFF_LOWER_UP = 0x10000;

export const IFLA_ADDRESS = 1;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_LINK = 5;
export const IFLA_OPERSTATE = 16;
export const IFLA_NUM_VF = 21;
export const IFLA_VFINFO_LIST = 22;
export const IFLA_STATS64 = 23;
export const IFLA_EXT_MASK = 29;
export const IFLA_CARRIER = 33;
export const IFLA_PHYS_SWITCH_ID = 36;
export const IFLA_PHYS_PORT_NAME = 38;
export const IFLA_MAX_MTU = 51;
export const IFLA_PARENT_DEV_NAME = 56;
export const IFLA_PARENT_DEV_BUS_NAME = 57;

export const RTEXT_FILTER_VF = 1;
export const RTEXT_FILTER_SKIP_STATS = 8;

export const IFLA_VF_INFO = 1;
export const IFLA_VF_MAC = 1;
export const IFLA_VF_VLAN = 2;
export const IFLA_VF_TX_RATE = 3;
export const IFLA_VF_SPOOFCHK = 4;
export const IFLA_VF_LINK_STATE = 5;
export const IFLA_VF_RATE = 6;
export const IFLA_VF_RSS_QUERY_EN = 7;
export const IFLA_VF_STATS = 8;
export const IFLA_VF_TRUST = 9;
export const IFLA_VF_VLAN_LIST = 12;
export const IFLA_VF_VLAN_INFO = 1;

export const IFLA_VF_STATS_RX_PACKETS = 0;
export const IFLA_VF_STATS_TX_PACKETS = 1;
export const IFLA_VF_STATS_RX_BYTES = 2;
export const IFLA_VF_STATS_TX_BYTES = 3;
export const IFLA_VF_STATS_BROADCAST = 4;
export const IFLA_VF_STATS_MULTICAST = 5;
export const IFLA_VF_STATS_RX_DROPPED = 7;
export const IFLA_VF_STATS_TX_DROPPED = 8;

export const IFLA_VF_LINK_STATE_AUTO = 0;
export const IFLA_VF_LINK_STATE_ENABLE = 1;
export const IFLA_VF_LINK_STATE_DISABLE = 2;

export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;

export const GENL_ID_CTRL = 16;
export const GENL_HDRLEN = 4;
export const CTRL_CMD_GETFAMILY = 3;
export const CTRL_ATTR_FAMILY_ID = 1;
export const CTRL_ATTR_FAMILY_NAME = 2;

export const DEVLINK_CMD_PORT_GET = 5;
export const DEVLINK_CMD_ESWITCH_GET = 29;
export const DEVLINK_CMD_ESWITCH_SET = 30;
export const DEVLINK_ATTR_BUS_NAME = 1;
export const DEVLINK_ATTR_DEV_NAME = 2;
export const DEVLINK_ATTR_PORT_INDEX = 3;
export const DEVLINK_ATTR_PORT_NETDEV_IFINDEX = 6;
export const DEVLINK_ATTR_PORT_NETDEV_NAME = 7;
export const DEVLINK_ATTR_ESWITCH_MODE = 25;
export const DEVLINK_ATTR_PORT_FLAVOUR = 77;
export const DEVLINK_ATTR_PORT_PCI_PF_NUMBER = 127;
export const DEVLINK_ATTR_PORT_PCI_VF_NUMBER = 128;
export const DEVLINK_ESWITCH_MODE_LEGACY = 0;
export const DEVLINK_ESWITCH_MODE_SWITCHDEV = 1;
export const DEVLINK_PORT_FLAVOUR_PHYSICAL = 0;
export const DEVLINK_PORT_FLAVOUR_PCI_VF = 4;
