# Writes the seed corpora in corpus/ (kept in git; run from tests/fuzz after changing a format): python3 make_seeds.py
import json, os, struct
base = 'corpus'
def put(target, name, data):
    d = os.path.join(base, target); os.makedirs(d, exist_ok=True)
    if isinstance(data, str): data = data.encode()
    open(os.path.join(d, name), 'wb').write(data)
def js(o): return json.dumps(o, separators=(',', ':'))
hb = {"agent_version":"0.1.0","seq":42,"hostname":"lb1.example.com","uptime_s":12345.5,"load":[0.1,0.2,0.3],
      "cpu_pct":3.5,"memory":{"total_kb":2048000,"available_kb":1024000},
      "disks":[{"mount":"/","fs_type":"ext4","total_bytes":1000000,"used_bytes":500000}],
      "ipv4":[{"interface":"eth0","address":"192.0.2.10","prefix_length":24}],"kernel":"6.1.0","os":"Debian GNU/Linux 12",
      "haproxy":{"state":"running","version":"2.6.12","uptime_s":100,"detail":"","rows":[
          {"proxy":"web","service":"FRONTEND","type":"frontend","status":"OPEN","current_sessions":1,"session_rate":2,
           "bytes_in":3,"bytes_out":4,"check_status":""}]},
      "services":[{"name":"haproxy.service","state":"active"}],"probe_results":[{"id":7,"reachable":True}]}
put('fuzz_heartbeat','full.json',js(hb))
put('fuzz_heartbeat','minimal.json',js({"agent_version":"0.1.0","seq":1,"hostname":"lb1","haproxy":{"state":"absent"}}))
put('fuzz_heartbeat','stopped.json',js({"agent_version":"0.1.0","seq":2,"hostname":"lb2","haproxy":{"state":"stopped","detail":"stats socket /run/haproxy/admin.sock: permission denied"}}))
put('fuzz_enrol_request','enrol.json',js({"key":"bek_0123456789abcdef0123456789abcdef","hostname":"lb1.example.com","agent_version":"0.1.0"}))
put('fuzz_enrol_request','short.json',js({"key":"k","hostname":"lb1"}))
# agent replies: first byte odd = enrol reply, even = heartbeat reply
put('fuzz_agent_replies','enrol.json',b'\x01'+js({"member_id":3,"secret":"bms_0123456789abcdef","pool":"web","interval_ms":1000,"server_public_key":"MCowBQYDK2VwAyEA0123456789abcdef0123456789abcdef012345="}).encode())
put('fuzz_agent_replies','heartbeat.json',b'\x00'+js({"interval_ms":1000,"jobs":[],"probes":[{"id":7,"target":"192.0.2.11","ports":[80,443],"timeout_ms":500}]}).encode())
put('fuzz_agent_replies','heartbeat_plain.json',b'\x02'+js({"interval_ms":2000}).encode())
put('fuzz_agent_env','enrolled.env',"""# balctl agent configuration
BALCTL_API_BASE=https://cp.example.com:8443
BALCTL_MEMBER_ID=3
BALCTL_MEMBER_SECRET=bms_0123456789abcdef
BALCTL_CA_CERT=/etc/balctl/ca.pem
BALCTL_SERVER_KEY=MCowBQYDK2VwAyEA0123456789abcdef0123456789abcdef012345=
BALCTL_HAPROXY_SOCKET=/run/haproxy/admin.sock
BALCTL_HAPROXY_UNIT=haproxy.service
""")
put('fuzz_agent_env','quoted.env',"""BALCTL_API_BASE="https://127.0.0.1:8443"
BALCTL_MEMBER_ID='7'
BALCTL_MEMBER_SECRET=abc
BALCTL_HAPROXY_PIDFILE=/run/haproxy.pid
BALCTL_BIND_ADDRESS=192.0.2.10
OTHER=ignored
""")
# admin specs: byte%4==0 path segment; else json with (byte>>2)%3 picking pool spec / patch / member
put('fuzz_admin_specs','segment',b'\x00web-1')
put('fuzz_admin_specs','ports',b'\x0480,443,8080')
put('fuzz_admin_specs','pool.json',b'\x01'+js({"name":"web","hostname":"www.example.com","preset":"haproxy","delay_s":10}).encode())
put('fuzz_admin_specs','patch.json',bytes([1|(1<<2)])+js({"hostname":"www.example.com","delay_s":5,"haproxy_grace_s":1,"failback":"preferred","ttl_s":30,"probe_ports":"80,443","failback_after_s":60,"dwell_s":10,"settle_s":5,"dns_sync":True,"dns_repair":False}).encode())
put('fuzz_admin_specs','member.json',bytes([1|(2<<2)])+js({"hostname":"lb1.example.com","ipv4":"192.0.2.10","egress_ip":"192.0.2.10","priority":100,"key_ttl_s":3600}).encode())
put('fuzz_provider_config','rfc2136.json',js({"provider":"rfc2136","server":"127.0.0.1","port":53,"zone":"example.com","tsig_name":"balctl","tsig_algorithm":"hmac-sha256","tsig_secret":"c2VjcmV0c2VjcmV0c2VjcmV0"}))
put('fuzz_provider_config','powerdns.json',js({"provider":"powerdns","api_url":"http://127.0.0.1:8081","server_id":"localhost","zone":"example.com","api_key":"pdnskey123","verify_server":"127.0.0.1:5300"}))
put('fuzz_provider_config','cloudflare.json',js({"provider":"cloudflare","zone_id":"0123456789abcdef0123456789abcdef","api_token":"cf_token_123456","proxied":False}))
put('fuzz_provider_config','cpanel.json',js({"provider":"cpanel","api_url":"https://127.0.0.1:2083","username":"user","zone":"example.com","api_token":"CPTOKEN123456"}))
put('fuzz_alert_channel','webhook.json',js({"name":"ops","kind":"webhook","url":"https://hooks.example.com/x","format":"slack","secret":"s3cr3t"}))
put('fuzz_alert_channel','email.json',js({"name":"mail","kind":"email","smtp_url":"smtp://127.0.0.1:2525","from":"balctl@example.com","to":["ops@example.com","b@example.com"],"username":"u","password":"p","starttls":True}))
# client address: first byte picks policy and peer
for i, h in enumerate(["203.0.113.7", "203.0.113.7, 10.0.0.1", "2001:db8::1, 127.0.0.1", " 198.51.100.2 ,192.168.1.1", "unknown, 127.0.0.1"]):
    put('fuzz_client_address', f'xff{i}', bytes([i * 5 % 16]) + h.encode())
# HTTP: first byte picks the chunk size (%4==0: all at once)
reqs = {
 'get_status': b"GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer bat_123\r\n\r\n",
 'heartbeat': b"POST /api/v1/agent/heartbeat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nX-Forwarded-For: 203.0.113.1, 127.0.0.1\r\n\r\n{}",
 'pipelined': b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nDELETE /api/v1/pools/web/members/lb2 HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/events?limit=10&pool=web HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
 'chunked': b"PUT /api/v1/pools/web/dns HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n",
 'encoded': b"PATCH /api/v1/pools/web%2Fmembers%2Flb2?x=%41 HTTP/1.0\r\nContent-Length: 12\r\n\r\n{\"delay_s\":5}",
}
for i, (n, r) in enumerate(reqs.items()):
    put('fuzz_http_request', n, bytes([0 if i % 2 == 0 else 7]) + r)
put('fuzz_serve_config','config.toml',"""listen = "127.0.0.1:8443"
data-dir = "/var/lib/balctl"
insecure-http = true
threads = 2
heartbeat-interval-ms = 1000
max-body-bytes = 1048576
trusted-proxy = ["127.0.0.1", "10.0.0.0/8"]
client-ip-header = "X-Forwarded-For"
""")
put('fuzz_serve_config','config.ini',"""[default]
listen=[::1]:8443
log-level=debug
max-connections=100
read-timeout-ms=5000
""")
put('fuzz_powerdns_reply','zone.json',js({"name":"example.com.","serial":2024010101,"rrsets":[
 {"name":"www.example.com.","type":"A","ttl":30,"records":[{"content":"192.0.2.10","disabled":False},{"content":"192.0.2.11","disabled":False}]},
 {"name":"example.com.","type":"SOA","ttl":3600,"records":[{"content":"ns1.example.com. hostmaster.example.com. 2024010101 10800 3600 604800 3600","disabled":False}]}]}))
put('fuzz_powerdns_reply','empty.json',js({"name":"example.com.","rrsets":[]}))
# DNS wire replies
def name(n):
    out=b''
    for label in n.split('.'):
        if label: out+=bytes([len(label)])+label.encode()
    return out+b'\x00'
def reply(qname, qtype, answers, flags=0x8400):
    hdr=struct.pack('>HHHHHH',0x1234,flags,1,len(answers),0,0)
    q=name(qname)+struct.pack('>HH',qtype,1)
    return hdr+q+b''.join(answers)
def rr(owner, rtype, rdata, ttl=30):
    return name(owner)+struct.pack('>HHIH',rtype,1,ttl,len(rdata))+rdata
a=reply('www.example.com',1,[rr('www.example.com',1,bytes([192,0,2,10])), rr('www.example.com',1,bytes([192,0,2,11]))])
put('fuzz_dns_reply','a_two', b'\x00'+a)
put('fuzz_dns_reply','a_compressed', b'\x03'+reply('www.example.com',1,[b'\xc0\x0c'+struct.pack('>HHIH',1,1,30,4)+bytes([198,51,100,1])]))
put('fuzz_dns_reply','a_notauth', b'\x00'+reply('www.example.com',1,[],flags=0x8000))
put('fuzz_dns_reply','a_nxdomain', b'\x00'+reply('www.example.com',1,[],flags=0x8403))
soa_rdata=name('ns1.example.com')+name('hostmaster.example.com')+struct.pack('>IIIII',2024010101,10800,3600,604800,3600)
put('fuzz_dns_reply','soa', b'\x01'+reply('example.com',6,[rr('example.com',6,soa_rdata)]))
# UPDATE replies (first byte % 3 == 2): success, NOTAUTH, NXRRSET
for n, flags in (('update_ok', 0xA800), ('update_notauth', 0xA809), ('update_nxrrset', 0xA808)):
    put('fuzz_dns_reply', n, b'\x02' + struct.pack('>HHHHHH', 0x1234, flags, 1, 0, 0, 0) + name('example.com') + struct.pack('>HH', 6, 1))
