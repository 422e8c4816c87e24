#!/usr/bin/python3
# Reads secrets back out of rendered files with the readers the services themselves use, and
# prints them as JSON, so a test can compare them with what the deployment said:
#   nova.conf        oslo.config, then SQLAlchemy's make_url for [database]/connection and
#                    oslo.messaging's TransportURL for [DEFAULT]/transport_url
#   local_settings   executed as Python, as Django does
#   clouds.yaml      PyYAML, as openstacksdk does
#
# Usage: read_back.py NOVA_CONF LOCAL_SETTINGS CLOUDS_YAML
import json
import runpy
import sys

import oslo_messaging
import yaml
from oslo_config import cfg
from sqlalchemy.engine.url import make_url


def main() -> int:
    nova_conf, local_settings, clouds_yaml = sys.argv[1:4]

    conf = cfg.ConfigOpts()
    # oslo.messaging's own transport_url option, as every service registers it.
    conf.register_opts(oslo_messaging.transport._transport_opts)
    conf.register_opts([cfg.StrOpt('my_ip')])
    conf.register_opts([cfg.StrOpt('connection')], group='database')
    conf.register_opts([cfg.StrOpt('password'), cfg.StrOpt('username')], group='keystone_authtoken')
    conf.register_opts([cfg.StrOpt('metadata_proxy_shared_secret')], group='neutron')
    conf(args=[], project='cairn-check', default_config_files=[nova_conf], default_config_dirs=[])

    db = make_url(conf.database.connection)
    transport = oslo_messaging.TransportURL.parse(conf, conf.transport_url)
    settings = runpy.run_path(local_settings)
    with open(clouds_yaml, encoding='utf-8') as f:
        clouds = yaml.safe_load(f)
    (cloud,) = clouds['clouds'].values()

    print(json.dumps({
        'db_user': db.username,
        'db_password': db.password,
        'db_host': db.host,
        'db_name': db.database,
        'transport_user': transport.hosts[0].username,
        'transport_password': transport.hosts[0].password,
        'transport_host': transport.hosts[0].hostname,
        'authtoken_password': conf.keystone_authtoken.password,
        'metadata_secret': conf.neutron.metadata_proxy_shared_secret,
        'horizon_secret_key': settings['SECRET_KEY'],
        'clouds_password': cloud['auth']['password'],
        'clouds_username': cloud['auth']['username'],
    }))
    return 0


if __name__ == '__main__':
    sys.exit(main())
