# A TCP client in the style of the classic tutorials: read a line, send it, print the server's reply.
# Usage: python3 upper_client.py HOST PORT   (lines come from stdin; "quit" or end of input stops)
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect((host, port))
while True:
    try:
        msg = input()
    except EOFError:
        break
    if msg == 'quit':
        break
    client.send(msg.encode('utf-8'))
    data = client.recv(1024)
    if not data:
        print('server closed the connection')
        break
    print('reply:', data.decode('utf-8'))
client.close()
