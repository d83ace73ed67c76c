# A client speaking GBK, as Chinese Windows tutorials do: send 你好 in gbk, decode the answer with gbk.
# Usage: python3 gbk_client.py HOST PORT
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect((host, port))
client.send('你好'.encode('gbk'))
data = client.recv(1024)
print('bytes:', data.hex())
print('reply:', data.decode('gbk'))
client.close()
