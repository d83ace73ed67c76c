# A client that reads the server's greeting before it says anything, then sends one line and reads the answer.
# Usage: python3 greeting_client.py HOST PORT   (one line from stdin)
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect((host, port))
greeting = client.recv(1024)
print('greeting:', greeting.decode('utf-8').strip())
msg = input()
client.send(msg.encode('utf-8'))
reply = client.recv(1024)
print('reply:', reply.decode('utf-8'))
client.close()
