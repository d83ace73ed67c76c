# Several send() calls in a row, then shutdown(SHUT_WR) and read everything until the server closes.
# Shows that TCP is a byte stream: how the sends are cut into recv() results is up to the network.
# Usage: python3 burst_client.py HOST PORT MSG [MSG...]
import socket
import sys
import time

host, port = sys.argv[1], int(sys.argv[2])
client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect((host, port))
for msg in sys.argv[3:]:
    client.send(msg.encode('utf-8'))
    time.sleep(0.02)
client.shutdown(socket.SHUT_WR)
received = b''
while True:
    data = client.recv(1024)
    if not data:
        break
    received += data
print('received:', received.decode('utf-8').replace('\n', '|'))
client.close()
