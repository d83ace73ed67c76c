# A UDP client from the tutorials: sendto a line, then wait for the answer with recvfrom(1024).
# Usage: python3 udp_client.py HOST PORT   (lines from stdin)
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])

client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
client.settimeout(5)  # a lost datagram must not hang the program forever
while True:
    try:
        msg = input()
    except EOFError:
        break
    client.sendto(msg.encode('utf-8'), (host, port))
    data, addr = client.recvfrom(1024)
    print('reply from %s:%d: %s' % (addr[0], addr[1], data.decode('utf-8')))
client.close()
