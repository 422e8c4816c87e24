/** Value types, by exact result or message. */
import test from 'ava';
import * as t from '../../src/config/value-types.js';

const okCases: [string, () => unknown, unknown][] = [
  ['yes/no', () => t.parseYesNo('Y'), true],
  ['yes/no false', () => t.parseYesNo('false'), false],
  ['host ip', () => t.parseHost('198.18.0.1'), '198.18.0.1'],
  ['host name lowercased', () => t.parseHost('Ctrl-1.Lab'), 'ctrl-1.lab'],
  ['host list', () => t.parseHostList(' a , b,'), ['a', 'b']],
  ['cidr', () => t.parseCidr('172.24.4.0/24'), '172.24.4.0/24'],
  ['multicast', () => t.parseMulticast('239.1.1.5'), '239.1.1.5'],
  ['port', () => t.parsePort('4789'), 4789],
  ['ratio', () => t.parsePositiveNumber('1.5'), 1.5],
  ['mappings', () => t.parseBridgeMappings('physnet1:br-ex,physnet2:br-vlan'), [{ physnet: 'physnet1', bridge: 'br-ex' }, { physnet: 'physnet2', bridge: 'br-vlan' }]],
  ['ifaces', () => t.parseBridgeIfaces('br-ex:eth0'), [{ bridge: 'br-ex', iface: 'eth0' }]],
  ['ranges', () => t.parseRanges('10:100,200:300', 16777215), [{ min: 10, max: 100 }, { min: 200, max: 300 }]],
  ['vlan ranges', () => t.parseVlanRanges('physnet1:100:200,physnet2'), [{ physnet: 'physnet1', range: { min: 100, max: 200 } }, { physnet: 'physnet2' }]],
  ['urls', () => t.parseUrlList('http://a.example/x,file:///srv/repo'), ['http://a.example/x', 'file:///srv/repo']],
  ['proxy', () => t.parseProxyUrl('http://198.18.0.1:3142'), 'http://198.18.0.1:3142/'],
  ['no proxy', () => t.parseProxyUrl(''), ''],
  ['choice list', () => t.parseChoiceList('flat,VXLAN', ['flat', 'vxlan']), ['flat', 'vxlan']],
];
for (const [name, fn, expected] of okCases) {
  test(`parses ${name}`, (tt) => {
    tt.deepEqual(fn(), { ok: true, value: expected });
  });
}

const failCases: [string, () => t.Parsed<unknown>, string][] = [
  ['yes/no', () => t.parseYesNo('maybe'), "expected y or n, got 'maybe'"],
  ['bad octet', () => t.parseHost('10.0.0.300'), "'10.0.0.300' is not a valid IPv4 address"],
  ['bad host', () => t.parseHost('a_b'), "expected an IPv4 address or a host name, got 'a_b'"],
  ['duplicate host', () => t.parseHostList('a,b,a'), "'a' is listed twice"],
  ['cidr host bits', () => t.parseCidr('172.24.4.1/24'), "'172.24.4.1/24' has host bits set; the network is 172.24.4.0/24"],
  ['cidr form', () => t.parseCidr('172.24.4.0'), "expected an IPv4 network in CIDR form such as 172.24.4.0/24, got '172.24.4.0'"],
  ['not multicast', () => t.parseMulticast('240.0.0.1'), "'240.0.0.1' is not a multicast address (expected 224.0.0.0 to 239.255.255.255)"],
  ['port 0', () => t.parsePort('0'), "expected a port number from 1 to 65535, got '0'"],
  ['pair shape', () => t.parseBridgeMappings('physnet1'), "expected physnet:bridge pairs such as physnet1:br-ex, got 'physnet1'"],
  ['physnet twice', () => t.parseBridgeMappings('p:br-a,p:br-b'), "physnet 'p' is mapped twice"],
  ['bridge twice', () => t.parseBridgeMappings('p:br-a,q:br-a'), "bridge 'br-a' is mapped to two physnets"],
  ['iface too long', () => t.parseBridgeIfaces('br-ex:averyveryverylongname'), "iface in 'br-ex:averyveryverylongname': expected a network interface name such as eth1 (at most 15 characters), got 'averyveryverylongname'"],
  ['range order', () => t.parseRanges('9:3', 100), "range '9:3' starts after it ends"],
  ['range bound', () => t.parseRanges('1:16777216', 16777215), "range '1:16777216' must lie within 1:16777215"],
  ['overlap', () => t.parseRanges('1:10,10:20', 100), 'ranges 1:10 and 10:20 overlap'],
  ['https proxy', () => t.parseProxyUrl('https://cache.example:3142/'), "expected an http:// proxy URL such as http://198.18.0.1:3142/, got 'https://cache.example:3142/'"],
  ['quoted proxy', () => t.parseProxyUrl('http://a"b/'), "expected an http:// proxy URL such as http://198.18.0.1:3142/, got 'http://a\"b/'"],
  ['url', () => t.parseUrlList('ftp//x'), "expected repository URLs such as http://mirror.example/debian, got 'ftp//x'"],
  ['choice', () => t.parseChoice('xen', ['kvm', 'qemu']), "expected one of kvm, qemu, got 'xen'"],
];
for (const [name, fn, message] of failCases) {
  test(`refuses ${name}`, (tt) => {
    tt.deepEqual(fn(), { ok: false, message });
  });
}
