#!/usr/bin/python3
# Checks the VALUES of an oslo.config file against the services' own option definitions.
#
# oslo-config-validator only checks that each option exists; a value of the wrong type or outside
# an option's choices (virt_type = bogus, debug = maybe) passes it. This registers every option
# of the given namespaces, loads the file the way a service does, and reads back each option the
# file sets, which runs the option's type conversion and choice check.
#
# Usage: oslo_values.py --input-file FILE --namespace NS [--namespace NS ...]
# Exit 0 when every known option's value converts and none of them is deprecated, 1 otherwise
# (each problem on stderr): a deprecated option is one the next release may silently ignore.
import argparse
import copy
import logging
import sys

from oslo_config import cfg, generator


class Deprecations(logging.Handler):
    """Collects oslo.config's 'Option ... is deprecated' warnings, logged when a value is read."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if 'deprecated' in message.lower():
            self.messages.append(' '.join(message.split()))


def main() -> int:
    deprecations = Deprecations()
    logging.getLogger('oslo_config').addHandler(deprecations)
    logging.getLogger('oslo_config').propagate = False
    parser = argparse.ArgumentParser()
    parser.add_argument('--input-file', required=True)
    parser.add_argument('--namespace', action='append', required=True)
    args = parser.parse_args()

    conf = cfg.ConfigOpts()
    for _namespace, groups in generator._list_opts(args.namespace):
        for group, opts in groups:
            name = 'DEFAULT' if group is None else group if isinstance(group, str) else group.name
            for listed in opts:
                # Samples list every keystoneauth plugin's options, some marked required; only
                # values are checked here, so no option is required.
                opt = copy.copy(listed)
                opt.required = False
                try:
                    conf.register_opt(opt, group=None if name == 'DEFAULT' else name)
                except cfg.DuplicateOptError:
                    # The same option listed by two namespaces with different help text.
                    pass

    conf(args=[], project='cairn-check', default_config_files=[args.input_file], default_config_dirs=[])

    sections = {}
    cfg.ConfigParser(args.input_file, sections).parse()
    problems = 0
    checked = 0
    for section, keys in sorted(sections.items()):
        group = None if section == 'DEFAULT' else section
        for key in sorted(keys):
            try:
                value = getattr(conf[group], key) if group else getattr(conf, key)
                checked += 1
            except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
                # Unknown options are oslo-config-validator's to report; auth plugin options
                # (keystone_authtoken/username ...) are registered only at run time.
                continue
            except Exception as e:  # ConfigFileValueError and friends
                problems += 1
                print(f'{section}/{key}: {e}', file=sys.stderr)
                continue
            del value
    for message in deprecations.messages:
        problems += 1
        print(message, file=sys.stderr)
    print(f'{checked} values checked, {problems} invalid or deprecated')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
