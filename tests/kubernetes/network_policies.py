"""What a set of NetworkPolicies lets through, by Kubernetes' rules, for one connection.

A connection is allowed when the source's egress and the target's ingress both allow it: for
each side, either no policy of that direction selects the pod (then all is allowed), or some
selecting policy has a rule whose peers and ports match.
"""

import ipaddress
from dataclasses import dataclass, field

from manifests import selects


@dataclass(frozen=True)
class Endpoint:
    """A pod (its namespace and labels) or, with `ip`, an address outside the cluster."""

    description: str
    namespace: str = ""
    pod_labels: dict = field(default_factory=dict)
    ip: str = ""

    @property
    def namespace_labels(self):
        return {"kubernetes.io/metadata.name": self.namespace}


def selects_or_all(selector, labels):
    """An empty selector ({}) selects everything."""
    return selector == {} or selects(selector, labels)


def policy_types(policy):
    spec = policy["spec"]
    return spec.get("policyTypes") or ["Ingress"] + (["Egress"] if "egress" in spec else [])


def peer_matches(peer, policy_namespace, endpoint):
    if "ipBlock" in peer:
        if not endpoint.ip:
            return False
        address = ipaddress.ip_address(endpoint.ip)
        block = peer["ipBlock"]
        excluded = any(address in ipaddress.ip_network(cidr) for cidr in block.get("except", []))
        return address in ipaddress.ip_network(block["cidr"]) and not excluded
    if endpoint.ip:
        return False
    if "namespaceSelector" in peer:
        namespace_ok = selects_or_all(peer["namespaceSelector"], endpoint.namespace_labels)
    else:
        namespace_ok = endpoint.namespace == policy_namespace
    pod_ok = "podSelector" not in peer or selects_or_all(peer["podSelector"], endpoint.pod_labels)
    return namespace_ok and pod_ok


def port_matches(rule_port, port, protocol):
    if rule_port.get("protocol", "TCP") != protocol:
        return False
    if "port" not in rule_port:
        return True
    return rule_port["port"] <= port <= rule_port.get("endPort", rule_port["port"])


def rule_allows(rule, peers_key, policy_namespace, other, port, protocol):
    peers = rule.get(peers_key)
    ports = rule.get("ports")
    peers_ok = not peers or any(peer_matches(peer, policy_namespace, other) for peer in peers)
    ports_ok = not ports or any(port_matches(rule_port, port, protocol) for rule_port in ports)
    return peers_ok and ports_ok


def side_allows(policies, direction, pod, other, port, protocol):
    """Whether `pod`'s policies of one direction let it talk to (or hear from) `other`."""
    if pod.ip:
        return True  # outside the cluster: no policy of ours applies there
    rules_key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    selecting = [
        policy
        for policy in policies
        if policy["metadata"].get("namespace", "") == pod.namespace
        and direction in policy_types(policy)
        and selects_or_all(policy["spec"]["podSelector"], pod.pod_labels)
    ]
    if not selecting:
        return True
    return any(
        rule_allows(rule, peers_key, policy["metadata"].get("namespace", ""), other, port, protocol)
        for policy in selecting
        for rule in policy["spec"].get(rules_key, [])
    )


def allowed(policies, source, target, port, protocol="TCP"):
    return side_allows(policies, "Egress", source, target, port, protocol) and side_allows(
        policies, "Ingress", target, source, port, protocol
    )
