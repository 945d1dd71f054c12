"""The flow registry: which flow class files which service.

The flow authors add their class here, e.g.::

    from desktop_app.automation.udyam_flow import UdyamFlow
    FLOWS[Service.UDYAM] = UdyamFlow

The runner looks a filing's service up in this dict; a service with no entry is
reported as "no flow for ... yet" and the filing stays ready.
"""

from __future__ import annotations

from desktop_app.automation.emudhra_flow import DscFlow
from desktop_app.automation.flow import Flow
from desktop_app.automation.udyam_flow import UdyamFlow
from desktop_app.core.models import Service

# Service -> flow class (instantiated once per filing, on its worker thread).
FLOWS: dict[Service, type[Flow]] = {}
FLOWS[Service.DSC] = DscFlow  # picks the KYC route from applicant.dsc.kyc_route
FLOWS[Service.UDYAM] = UdyamFlow
