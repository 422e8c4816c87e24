/**
 * The escaping helpers every template relies on. Round trips go through the real readers where
 * one is at hand in-process (URL parsing, the yaml package); the external tests read the same
 * values back with oslo.config, SQLAlchemy, Python and bash.
 */
import test from 'ava';
import YAML from 'yaml';
import {
  iniValue,
  ipv4InCidr,
  mysqlUrl,
  percentEncode,
  pyString,
  shellQuote,
  transportUrl,
  urlHost,
  yamlString,
} from '../../src/services/common.js';
import { exampleDeployment } from '../helpers/example-deployment.js';

const NASTY = `p@ss:w/rd#?%&=+ $x'"\\!*()[]{}~`;

test('percentEncode leaves only RFC 3986 unreserved characters bare', (t) => {
  t.is(percentEncode('aZ09-._~'), 'aZ09-._~');
  t.is(percentEncode("@:/#?%!'()* "), '%40%3A%2F%23%3F%25%21%27%28%29%2A%20');
});

test('mysqlUrl percent-encodes the password and WHATWG URL parsing gets it back', (t) => {
  const url = mysqlUrl('nova', NASTY, '198.18.10.11', 'nova_api');
  t.true(url.startsWith('mysql+pymysql://nova:'));
  t.true(url.endsWith('@198.18.10.11/nova_api'));
  // Exactly one @ and no raw specials: the authority cannot be misparsed.
  t.is(url.split('@').length, 2);
  const parsed = new URL(url.replace('mysql+pymysql:', 'http:'));
  t.is(decodeURIComponent(parsed.password), NASTY);
  t.is(parsed.hostname, '198.18.10.11');
  t.is(parsed.pathname, '/nova_api');
});

test('urlHost brackets IPv6 literals only', (t) => {
  t.is(urlHost('198.18.10.11'), '198.18.10.11');
  t.is(urlHost('ctrl.example'), 'ctrl.example');
  t.is(urlHost('2001:db8::1'), '[2001:db8::1]');
});

test('transportUrl encodes user and password', (t) => {
  const d = exampleDeployment();
  d.amqp.password = 'a/b@c';
  t.is(transportUrl(d), 'rabbit://openstack:a%2Fb%40c@198.18.10.11:5672/');
});

test('iniValue doubles $ and quotes values oslo.config would otherwise strip', (t) => {
  t.is(iniValue('plain'), 'plain');
  t.is(iniValue('a$b'), 'a$$b');
  t.is(iniValue('${x}'), '$${x}');
  t.is(iniValue(' lead'), '" lead"');
  t.is(iniValue('trail '), '"trail "');
  t.is(iniValue('"quoted"'), '""quoted""');
  t.is(iniValue("'q'"), `"'q'"`);
  t.is(iniValue('"'), '"""');
  t.is(iniValue('a"b'), 'a"b');
});

test('iniValue refuses what oslo.config cannot read back', (t) => {
  t.throws(() => iniValue('a\nb'), { message: /line break/ });
  t.throws(() => iniValue('a\\$b'), { message: /backslash/ });
});

test('pyString escapes quotes, backslashes and non-ASCII', (t) => {
  t.is(pyString('plain'), "'plain'");
  t.is(pyString(`it's`), `'it\\'s'`);
  t.is(pyString('a\\b'), `'a\\\\b'`);
  t.is(pyString('é'), `'\\xe9'`);
  t.is(pyString('€'), `'\\u20ac'`);
  t.is(pyString('😀'), `'\\U0001f600'`);
  t.is(pyString('l1\nl2'), `'l1\\nl2'`);
});

test("shellQuote wraps in single quotes and writes ' as '\\''", (t) => {
  t.is(shellQuote('abc'), "'abc'");
  t.is(shellQuote("it's"), `'it'\\''s'`);
  t.is(shellQuote('$(rm -rf /) `x` "y"'), `'$(rm -rf /) \`x\` "y"'`);
});

test('yamlString round-trips through the yaml parser as a string', (t) => {
  for (const s of ['yes', '0123', 'a: b', '#x', NASTY, 'null', '~', '- x', 'é\ttab']) {
    const doc = `k: ${yamlString(s)}\n`;
    t.is(YAML.parse(doc).k, s, doc);
  }
});

test('ipv4InCidr', (t) => {
  t.true(ipv4InCidr('198.18.20.1', '198.18.20.11/24'));
  t.false(ipv4InCidr('198.18.10.1', '198.18.20.11/24'));
  t.true(ipv4InCidr('10.1.2.3', '10.0.0.0/8'));
  t.false(ipv4InCidr('2001:db8::1', '198.18.20.11/24'));
  t.false(ipv4InCidr('198.18.20.1', '198.18.20.11'));
});
