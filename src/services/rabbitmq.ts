/**
 * RabbitMQ on the control host: the message bus of nova and neutron (oslo.messaging).
 * The user and its password are created by the apply stage with rabbitmqctl, never written to
 * a file; the files here only decide where the broker listens.
 */
import type { ServiceDescriptor } from './descriptor.js';
import { controllerOf } from '../config/model.js';

const UNIT = 'rabbitmq-server';

/** RabbitMQ listener settings on the control host. */
export const rabbitmq: ServiceDescriptor = {
  name: 'rabbitmq',
  enabled: () => true,
  components: [
    {
      name: 'rabbitmq-server',
      role: 'control',
      unit: { debian: UNIT, rhel: UNIT },
      packages: { debian: ['rabbitmq-server'], rhel: ['rabbitmq-server'] },
      ports: [5672],
    },
  ],
  files: ({ deployment: d, host }) => {
    if (host.name !== controllerOf(d).name) return [];
    const common = { mode: '0644', owner: 'root', group: 'root', restarts: [UNIT] };
    // rabbitmq.conf takes `address:port` unbracketed, also for IPv6 (RabbitMQ's own examples).
    const listen = { address: host.address, port: d.amqp.port };
    return [
      { ...common, path: '/etc/rabbitmq/rabbitmq.conf', template: 'rabbitmq/rabbitmq.conf.hbs', view: listen },
      // rabbitmq-env.conf's NODE_IP_ADDRESS/NODE_PORT override the listeners of rabbitmq.conf
      // when set, so both files say the same thing rather than leaving one to a default port.
      { ...common, path: '/etc/rabbitmq/rabbitmq-env.conf', template: 'rabbitmq/rabbitmq-env.conf.hbs', view: listen },
    ];
  },
  bootstrap: ({ deployment: d, host }) => {
    if (host.name !== controllerOf(d).name) return [];
    // rabbitmqctl reads a password from stdin when the argument is left out.
    const script = [
      'IFS= read -r password',
      'rabbitmqctl -q await_startup',
      'if rabbitmqctl -q list_users | cut -f1 | grep -qxF "$1"; then',
      '  printf "%s\\n" "$password" | rabbitmqctl -q change_password "$1"',
      'else',
      '  printf "%s\\n" "$password" | rabbitmqctl -q add_user "$1"',
      'fi',
      'rabbitmqctl -q set_permissions -p / "$1" ".*" ".*" ".*"',
    ].join('\n');
    return [
      {
        name: 'user',
        title: `rabbitmq user ${d.amqp.user}`,
        when: 'after-start',
        argv: ['sh', '-c', script, 'sh', d.amqp.user],
        stdin: `${d.amqp.password}\n`,
        timeoutMs: 180_000,
      },
    ];
  },
};
