"""kombo-tui as a library: list applications, preview and send a file, check it landed.

Runs as is against the embedded sandbox (no account needed):

    python examples/quickstart.py

Against Kombo, drop the sandbox and set KOMBO_API_KEY (and KOMBO_REGION if not EU); the
same calls work in a Jupyter notebook.
"""

from pathlib import Path

import kombo_tui as kt
from kombo_tui.sandbox.data import SANDBOX_API_KEY

CV = Path(__file__).resolve().parent.parent / "assets" / "Jane_Doe_CV.pdf"
INTEGRATION = "greenhouse:sandbox-greenhouse"

with kt.SandboxServer() as sandbox:
    where = {"api_key": SANDBOX_API_KEY, "base_url": sandbox.base_url}

    # 1. Find an application to attach to.
    applications = kt.list_applications(INTEGRATION, limit=5, **where)
    target = applications[0]
    print(f"{target.candidate.full_name} applied for {target.job.name} ({target.id})")

    # 2. See exactly what would be sent (base64 elided to size + sha256).
    body = kt.preview(CV, integration_id=INTEGRATION, application_id=target.id)
    print(body["attachment"]["name"], body["attachment"]["type"], body["attachment"]["content_type"])

    # 3. Send it, then re-read the application's attachments to be sure it landed.
    outcome = kt.send(CV, integration_id=INTEGRATION, application_id=target.id, verify=True, **where)
    print(outcome.status, outcome.warnings)
    print(outcome.verification.summary())
