"""Which AWS Organization an account belongs to, from moto's Organizations backends.

moto keeps an organization in its management account's backend and records each member account in
`organizations_backends.master_accounts`; nothing maps an account to its organization id directly,
which the `aws:ResourceOrgID` and `aws:PrincipalOrgID` condition keys need.
"""

from __future__ import annotations

from moto.organizations.models import organizations_backends


def organization_id(account_id: str, partition: str = "aws") -> str | None:
    """The id of the organization `account_id` belongs to (as management or member), if any."""
    management = organizations_backends.master_accounts.get(account_id, (account_id, partition))[0]
    # Look before indexing: moto creates a backend for every account it is asked about.
    if management not in organizations_backends or partition not in organizations_backends[management]:
        return None
    organization = organizations_backends[management][partition].org
    return organization.id if organization is not None else None
