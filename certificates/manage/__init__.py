"""인증서 관리: the connected customer's certificates — 조회, 비밀번호 변경, 해지, 이용 기기."""
