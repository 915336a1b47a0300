"""Programs the bundle starts see the user's library path, not the bundle's.

The bootloader puts the bundle's folder first on LD_LIBRARY_PATH so that the app
finds its own libraries; the dynamic loader has read it by the time Python runs.
Kubeconfig credential plugins (`aws eks get-token`, `gke-gcloud-auth-plugin`) and
other children must not load the bundle's copies of OpenSSL, glib or libstdc++, so
the original value is put back (or the variable removed if it was unset).
"""

import os


def _restore_library_path() -> None:
    original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if original is None:
        os.environ.pop("LD_LIBRARY_PATH", None)
    else:
        os.environ["LD_LIBRARY_PATH"] = original


_restore_library_path()
