# A UDP server from the tutorials: recvfrom(1024), answer the sender with the upper-cased text.
# Usage: python3 udp_server.py HOST PORT   (PORT 0 = any; the port is printed first)
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])

server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
server.bind((host, port))
print(server.getsockname()[1], flush=True)
while True:
    data, addr = server.recvfrom(1024)
    print('from %s:%d: %s' % (addr[0], addr[1], data.decode('utf-8')), flush=True)
    server.sendto(data.decode('utf-8').upper().encode('utf-8'), addr)
