"""A small valid inventory that tests mutate, one bad-input class at a time."""

VALID = """\
version: 1
auths:
  snmp:
    city-v3:
      version: 3
      user: ${PUBWIFI_SNMP_V3_USER}
      auth_protocol: sha256
      auth_key: ${PUBWIFI_SNMP_V3_AUTH_KEY}
      priv_protocol: aes128
      priv_key: ${PUBWIFI_SNMP_V3_PRIV_KEY}
    legacy-v2c:
      version: 2c
      community: ${PUBWIFI_SNMP_COMMUNITY}
  ssh:
    city-ssh:
      user: ${PUBWIFI_SSH_USER}
      password: ${PUBWIFI_SSH_PASSWORD}
defaults:
  snmp_auth: city-v3
  ssh_auth: city-ssh
  status: active
groups:
  old-radios:
    snmp_auth: legacy-v2c
    ports: {snmp: 1161}
sites:
  S11110-0001:
    name: 광화문광장 스마트폴 1
    district: 11110
    dong: 세종로
    lat: 37.5725
    lon: 126.9769
    mount: smart_pole
    footfall: very_high
aps:
  - id: AP-0001
    site: S11110-0001
    address: 127.16.0.1
    platform: net-snmp
    model: OpenWrt-AX
    standard: wifi6
    installed: 2023-05-01
  - id: AP-0002
    site: S11110-0001
    address: 127.16.0.2
    platform: net-snmp
    model: OpenWrt-AC
    standard: wifi5
    groups: [old-radios]
    replacement: {model: OpenWrt-AX, standard: wifi6, quarter: 2025Q3}
"""
