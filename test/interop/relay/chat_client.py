# The tutorial chat client: read a line, send it, print the reply from recv(1024).
# Usage: python3 chat_client.py HOST PORT   (lines from stdin; end of input stops)
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect((host, port))
for line in sys.stdin:
    msg = line.rstrip('\n')
    client.send(msg.encode('utf-8'))
    data = client.recv(1024)
    if not data:
        print('server closed the connection')
        break
    print('reply:', data.decode('utf-8'))
else:
    client.close()
